"""One repository per store; every SQL statement of the project lives here."""
