"""One module per price provider: fetch its files and parse them into domain values."""
