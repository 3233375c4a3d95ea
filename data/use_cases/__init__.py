"""Use cases: what the outside (pages, CLI, workers) asks of the data, cached."""
