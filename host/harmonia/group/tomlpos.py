"""Where each key and array element of a TOML document sits: `KeyLines(text).line(path)`.

tomllib reports line numbers for syntax errors only; a manifest's semantic errors (an
unknown board, a role nobody can hold) must point at a line too. This scanner walks the
document once (it is already known to parse) and records the line of every key path:
("members", "sensor", "board"), ("bindings", 1, "call"), ("roles", "x", "services", 0).
It understands headers ([a.b], [[a]]), dotted and quoted keys, inline tables, multi-line
arrays and every string form; values themselves are skipped, not parsed.
"""

from __future__ import annotations

from collections.abc import Sequence

KeyPath = tuple[str | int, ...]

_BARE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


class KeyLines:
    """The line (1-based) of every key path of one TOML text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines: dict[KeyPath, int] = {}
        self._aot: dict[KeyPath, int] = {}  # array-of-tables path -> last index
        self._i = 0
        self._line = 1
        self._scan()

    def line(self, path: Sequence[str | int]) -> int | None:
        """The line of `path`, else of its nearest recorded ancestor, else None."""
        key = tuple(path)
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return None

    # ---- scanning ----------------------------------------------------------------------

    def _peek(self, k: int = 0) -> str:
        j = self._i + k
        return self.text[j] if j < len(self.text) else ""

    def _advance(self, n: int = 1) -> None:
        for _ in range(n):
            if self._i < len(self.text) and self.text[self._i] == "\n":
                self._line += 1
            self._i += 1

    def _blank(self, newlines: bool) -> None:
        """Skip spaces, comments and (when `newlines`) line ends."""
        while self._i < len(self.text):
            c = self._peek()
            if c in " \t\r" or (newlines and c == "\n"):
                self._advance()
            elif c == "#":
                while self._i < len(self.text) and self._peek() != "\n":
                    self._advance()
            else:
                return

    def _scan(self) -> None:
        table: KeyPath = ()
        while True:
            self._blank(newlines=True)
            if self._i >= len(self.text):
                return
            if self._peek() == "[":
                table = self._header()
            else:
                self._keyval(table)
            self._blank(newlines=False)
            if self._peek() == "\n":
                self._advance()

    def _header(self) -> KeyPath:
        line = self._line
        many = self._peek(1) == "["
        self._advance(2 if many else 1)
        keys = self._key()
        self._blank(newlines=False)
        self._advance(2 if many else 1)
        path = self._resolve(keys)
        for n in range(1, len(path)):
            self.lines.setdefault(path[:n], line)
        if many:
            index = self._aot.get(path, -1) + 1
            self._aot[path] = index
            self.lines.setdefault(path, line)
            path = (*path, index)
        self.lines.setdefault(path, line)
        return path

    def _resolve(self, keys: tuple[str, ...]) -> KeyPath:
        """A header's keys, with the current index of each array of tables on the way."""
        path: KeyPath = ()
        for n, key in enumerate(keys):
            path = (*path, key)
            if n < len(keys) - 1 and path in self._aot:
                path = (*path, self._aot[path])
        return path

    def _keyval(self, table: KeyPath) -> None:
        line = self._line
        keys = self._key()
        path = table
        for key in keys:
            path = (*path, key)
            self.lines.setdefault(path, line)
        self._blank(newlines=False)
        if self._peek() == "=":
            self._advance()
        self._blank(newlines=False)
        self._value(path)

    def _key(self) -> tuple[str, ...]:
        keys: list[str] = []
        while True:
            self._blank(newlines=False)
            c = self._peek()
            if c in "\"'":
                keys.append(self._string())
            else:
                start = self._i
                while self._peek() and self._peek() in _BARE:
                    self._advance()
                keys.append(self.text[start : self._i])
            self._blank(newlines=False)
            if self._peek() != ".":
                return tuple(keys)
            self._advance()

    def _string(self) -> str:
        quote = self._peek()
        if self.text.startswith(quote * 3, self._i):
            self._advance(3)
            start = self._i
            while self._i < len(self.text) and not self.text.startswith(quote * 3, self._i):
                self._advance(2 if quote == '"' and self._peek() == "\\" else 1)
            end = self._i
            self._advance(3)
            while self._peek() == quote:  # up to two quotes may close the string
                self._advance()
                end += 1
            return self.text[start:end]
        self._advance()
        out: list[str] = []
        while self._i < len(self.text) and self._peek() not in (quote, "\n"):
            if quote == '"' and self._peek() == "\\":
                out.append(self.text[self._i : self._i + 2])
                self._advance(2)
                continue
            out.append(self._peek())
            self._advance()
        self._advance()
        text = "".join(out)
        if quote == '"' and "\\" in text:
            text = text.encode("latin-1", "backslashreplace").decode("unicode_escape")
        return text

    def _value(self, path: KeyPath) -> None:
        c = self._peek()
        if c in "\"'":
            self._string()
        elif c == "[":
            self._array(path)
        elif c == "{":
            self._inline(path)
        else:
            while self._peek() and self._peek() not in ",]}\n#":
                self._advance()

    def _array(self, path: KeyPath) -> None:
        self._advance()
        index = 0
        while True:
            self._blank(newlines=True)
            if self._peek() in ("]", ""):
                self._advance()
                return
            self.lines.setdefault((*path, index), self._line)
            self._value((*path, index))
            index += 1
            self._blank(newlines=True)
            if self._peek() == ",":
                self._advance()

    def _inline(self, path: KeyPath) -> None:
        self._advance()
        while True:
            self._blank(newlines=True)
            if self._peek() in ("}", ""):
                self._advance()
                return
            self._keyval(path)
            self._blank(newlines=True)
            if self._peek() == ",":
                self._advance()
