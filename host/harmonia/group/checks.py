"""Reading a manifest with the line of every problem: the reader, the whole-manifest
checks, and the order in which sections are read (the sections are in sections.py)."""

from __future__ import annotations

import difflib
from typing import Any

from .errors import Problem
from .manifest import Manifest, capabilities, missing
from .tomlpos import KeyLines, KeyPath

# ---- reading, with the line of every problem ---------------------------------------------


class Reader:
    def __init__(self, text: str, data: dict[str, Any]) -> None:
        self.lines = KeyLines(text)
        self.data = data
        self.problems: list[Problem] = []

    def problem(self, path: KeyPath, message: str) -> None:
        self.problems.append(Problem(self.lines.line(path), message))

    def get(self, path: KeyPath) -> Any:
        value: Any = self.data
        for key in path:
            value = value[key]
        return value

    def table(self, path: KeyPath, known: tuple[str, ...], required: tuple[str, ...] = (),
              where: str = "") -> dict[str, Any] | None:
        value = self.get(path)
        label = where or dotted(path)
        if not isinstance(value, dict):
            self.problem(path, f"{label} must be a table")
            return None
        for key in value:
            if key not in known:
                self.problem((*path, key), f"unknown key {key!r} in {label}{hint(key, known)}")
        for key in required:
            if key not in value:
                self.problem(path, f"the manifest needs a [{key}] table" if not path
                             else f"{label} needs {key} = ...")
        return value

    def typed(self, path: KeyPath, kind: type | tuple[type, ...], what: str) -> Any:
        value = self.get(path)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            self.problem(path, f"{dotted(path)} must be {what}, not {show(value)}")
            return None
        return value

    def strings(self, path: KeyPath, what: str) -> list[str]:
        value = self.get(path)
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problem(path, f"{dotted(path)} must be a list of {what}")
            return []
        return value


def dotted(path: KeyPath) -> str:
    return "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in path).lstrip(".")


def show(value: Any) -> str:
    kind = {bool: "a boolean", int: "a number", float: "a number", str: "a string",
            list: "a list", dict: "a table"}.get(type(value), type(value).__name__)
    return f"{kind} ({value!r})" if isinstance(value, int | float | str | bool) else kind


def hint(word: str, choices: tuple[str, ...] | list[str]) -> str:

    close = difflib.get_close_matches(word, list(choices), 1)
    return f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(choices)})"


# ---- what can only be checked across sections --------------------------------------------


def capable(r: Reader, manifest: Manifest) -> None:
    for role in manifest.roles:
        known = {m.name: c for m in manifest.members if (c := capabilities(m)) is not None}
        if len(known) < len(manifest.members):
            continue  # a real board without a profile: checked when it answers
        if not any(not missing(role.needs, caps) for caps in known.values()):
            gaps = "; ".join(f"{n} lacks {', '.join(missing(role.needs, c))}"
                             for n, c in known.items())
            r.problem(("roles", role.name, "needs"),
                      f"no member can hold role {role.name}: {gaps}")


def reachable(r: Reader, manifest: Manifest) -> None:
    """Every member without Wi-Fi must be wired (through links) to one with it."""
    wired: dict[str, set[str]] = {m.name: set() for m in manifest.members}
    for link in manifest.links:
        wired[link.a].add(link.b)
        wired[link.b].add(link.a)
    for member in manifest.members:
        if member.wifi:
            continue
        seen, todo = {member.name}, [member.name]
        while todo:
            for other in wired[todo.pop()] - seen:
                seen.add(other)
                todo.append(other)
        if not any(manifest.member(n).wifi for n in seen):
            r.problem(("members", member.name, "wifi"),
                      f"member {member.name} has no Wi-Fi and no [[links]] cable to a member "
                      "that has: nothing could reach it")
