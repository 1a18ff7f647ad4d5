"""Role service for the group tests: a module whose register() fails."""


def register(node):
    raise RuntimeError("broken on purpose")
