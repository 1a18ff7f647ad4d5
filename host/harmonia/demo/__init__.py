"""`harmonia demo`: the fan controller on virtual boards (see fan.py), as a library.

    from harmonia.demo import run
    summary = run(print_note)           # every board is stopped when it returns
"""

from .fan import MANIFEST, Note, Summary, run
from .roomy import roomy_boards, using_boards

__all__ = ["MANIFEST", "Note", "Summary", "roomy_boards", "run", "using_boards"]
