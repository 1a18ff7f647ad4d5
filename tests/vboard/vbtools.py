"""Helpers for the virtual board tests: the real mpremote, and waiting on conditions."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

MPREMOTE = str(Path(sys.executable).parent / "mpremote")


def mpremote(port: str, *args: str, timeout: float = 30.0) -> str:
    """Run the unmodified mpremote CLI against `port`; its stdout, or an assertion error."""
    done = subprocess.run([MPREMOTE, "connect", port, *args], capture_output=True, timeout=timeout)
    out = done.stdout.decode("utf-8", "replace")
    assert done.returncode == 0, f"mpremote {' '.join(args)} failed: {out}{done.stderr!r}"
    return out


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.01)
