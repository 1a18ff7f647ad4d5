"""What can go wrong with a group, each with a message that says what to do next."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import HarmoniaError


class GroupError(HarmoniaError):
    """A group could not be brought up, reached or changed."""


@dataclass(frozen=True)
class Problem:
    """One mistake in a manifest: where it is and what is wrong."""

    line: int | None
    message: str

    def render(self, path: Path | str) -> str:
        return f"{path}:{self.line}: {self.message}" if self.line else f"{path}: {self.message}"


class ManifestError(GroupError):
    """A manifest that does not parse or does not make sense; every problem names its line."""

    def __init__(self, path: Path | str, problems: list[Problem]) -> None:
        self.path = Path(path)
        self.problems = problems
        lines = [p.render(path) for p in problems]
        head = lines[0] if len(problems) == 1 else f"{len(problems)} problems in {path}:"
        body = "" if len(problems) == 1 else "\n  " + "\n  ".join(lines)
        super().__init__(head + body)


class NoCapableMember(GroupError):
    """A role needs what no live member has."""


class GroupNotFound(GroupError):
    """No group of that name has been brought up from this state directory."""


class MemberUnreachable(GroupError):
    """A member does not answer on the bus."""


class RoleUnavailable(GroupError):
    """No member holds a role (yet): a call on the interface gave up at its deadline."""


class RolloutFailed(GroupError):
    """A rolling deploy stopped: one member failed its health check and was rolled back."""

    def __init__(self, message: str, report: Any = None) -> None:
        super().__init__(message)
        self.report = report  # the RolloutReport so far
