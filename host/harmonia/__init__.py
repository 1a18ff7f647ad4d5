"""Harmonia host package: codec, boards, virtual boards and the CLI."""

__version__ = "0.1.0"
