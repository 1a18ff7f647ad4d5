"""Run a MicroPython script against a hub, with no supervisor: for hardware tests and tools.

The board's real supervisor starts the child with its console and flash; this is
the bare minimum around a `HardwareHub` so the hardware layer can be exercised on
its own.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterable
from pathlib import Path

from ...paths import micropython_exe
from .errors import HardwareTimeoutError
from .hub import HardwareHub


class BoardProcess:
    """A MicroPython process whose `machine` talks to `hub`; output is collected."""

    def __init__(self, hub: HardwareHub, script: str, *, path: Iterable[Path] = (),
                 env: dict[str, str] | None = None, heapsize: str | None = None,
                 name: str = "main") -> None:
        self.hub = hub
        self.script = hub.state_dir / f"{name}.py"
        self.script.write_text(script)
        micropypath = os.pathsep.join([str(hub.runtime_dir()), ".frozen", *map(str, path)])
        self.env = {**os.environ, **hub.child_env(), "MICROPYPATH": micropypath, **(env or {})}
        self.argv = [micropython_exe(), *(["-X", f"heapsize={heapsize}"] if heapsize else []),
                     str(self.script)]
        self._cond = threading.Condition()
        self._output = ""
        self.proc: subprocess.Popen[bytes] | None = None
        self._reader: threading.Thread | None = None

    def start(self) -> BoardProcess:
        self.proc = subprocess.Popen(self.argv, env=self.env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self._reader = threading.Thread(target=self._read, args=(self.proc,), daemon=True)
        self._reader.start()
        return self

    def _read(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        while True:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            with self._cond:
                self._output += chunk.decode(errors="replace")
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    @property
    def output(self) -> str:
        with self._cond:
            return self._output

    def wait_output(self, text: str | tuple[str, ...], timeout: float = 10.0,
                    since: int = 0) -> str:
        """Wait until `text` (or one of several) shows in the output after offset `since`;
        returns the output from there on. Fails at once if the process has ended."""
        texts = (text,) if isinstance(text, str) else text

        def seen() -> bool:
            return any(t in self._output[since:] for t in texts) or self._ended()

        with self._cond:
            self._cond.wait_for(seen, timeout=timeout)
            out = self._output[since:]
            if not any(t in out for t in texts):
                state = "ended" if self._ended() else f"still silent after {timeout:g} s"
                raise HardwareTimeoutError(
                    f"board output lacks {text!r} ({state}); it printed:\n{self._output}"
                )
            return out

    def _ended(self) -> bool:
        return (self.proc is not None and self.proc.poll() is not None
                and self._reader is not None and not self._reader.is_alive())

    def write(self, data: bytes) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def wait(self, timeout: float = 10.0) -> int:
        assert self.proc is not None
        code = self.proc.wait(timeout)
        if self._reader is not None:
            self._reader.join(timeout)
        return code

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._reader is not None:
            self._reader.join(5)  # the pipe ends with the process
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()

    def __enter__(self) -> BoardProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
