"""The outside: Dash server, routes, command line and the embedded services."""
