"""Component trees. No data access: they take plain values and return components."""
