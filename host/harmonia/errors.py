"""Root of every error the host library raises for a user to read."""


class HarmoniaError(Exception):
    """An error with a one-line message that says what failed and what to do next."""
