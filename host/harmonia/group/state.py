"""What the host remembers of a group between commands: `<state dir>/groups/<name>/`.

    state.json        manifest path, port, spec version, member boards and cables
    key               the generated group key (0600), when the manifest names none
    versions/<v>/     the service tree of each deployed version (for rollbacks)
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..vboard.state import default_state_dir
from .errors import GroupNotFound

KEEP_VERSIONS = 4


@dataclass
class GroupState:
    name: str
    manifest: str
    port: int
    spec_version: int = 0
    version: str | None = None  # service tree deployed to every member
    previous: str | None = None
    boards: list[str] = field(default_factory=list)  # virtual boards the group started
    configs: dict[str, str] = field(default_factory=dict)  # board -> digest of its /hm.json
    links: list[dict[str, Any]] = field(default_factory=list)  # {a, a_uart, b, b_uart, id, pid}

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class GroupDir:
    """One group's folder in a state directory."""

    def __init__(self, name: str, state_dir: Path | str | None = None) -> None:
        self.state_dir = Path(state_dir) if state_dir is not None else default_state_dir()
        self.name = name
        self.root = self.state_dir / "groups" / name

    @property
    def state_file(self) -> Path:
        return self.root / "state.json"

    def exists(self) -> bool:
        return self.state_file.exists()

    def load(self) -> GroupState:
        try:
            data = json.loads(self.state_file.read_text())
        except FileNotFoundError:
            raise GroupNotFound(
                f"no group {self.name!r} is up from {self.state_dir}: run "
                "`harmonia group up MANIFEST` first (or give --state-dir)"
            ) from None
        return GroupState(**data)

    def save(self, state: GroupState) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(state.to_json(), indent=1))
        tmp.replace(self.state_file)

    def forget(self) -> None:
        """Remove the group's state, keeping its key (a later `up` reuses it)."""
        self.state_file.unlink(missing_ok=True)
        shutil.rmtree(self.root / "versions", ignore_errors=True)

    def key(self) -> bytes:
        """The group's generated key, made on first use."""
        path = self.root / "key"
        with contextlib.suppress(FileNotFoundError):
            return bytes.fromhex(path.read_text().strip())
        self.root.mkdir(parents=True, exist_ok=True)
        key = os.urandom(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(key.hex() + "\n")
        return key

    def version_dir(self, version: str) -> Path:
        return self.root / "versions" / version

    def keep_version(self, version: str, tree: Path) -> Path:
        """Keep a copy of a deployed tree; the oldest copies beyond KEEP_VERSIONS go."""
        dest = self.version_dir(version)
        if not dest.exists():
            tmp = dest.with_name(f".{version}.tmp")
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.copytree(tree, tmp)
            tmp.replace(dest)
        versions = sorted(dest.parent.iterdir(), key=lambda p: p.stat().st_mtime)
        for old in versions[:-KEEP_VERSIONS]:
            if old != dest and not old.name.startswith("."):
                shutil.rmtree(old, ignore_errors=True)
        return dest


def groups(state_dir: Path | str | None = None) -> list[str]:
    """Names of the groups brought up from this state directory."""
    root = (Path(state_dir) if state_dir is not None else default_state_dir()) / "groups"
    return sorted(p.name for p in root.glob("*") if (p / "state.json").exists())
