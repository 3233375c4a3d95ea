"""Callbacks: parse inputs, call a use case, build a figure. Each view registers its own."""
