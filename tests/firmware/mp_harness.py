"""Run MicroPython test modules (mp_test_*.py) and read their per-function results.

Used by conftest.py (the pytest collector) and by tests that run the same modules
against another build of the firmware (test_mpy_build.py).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from harmonia.paths import micropython_exe

HERE = Path(__file__).resolve().parent
VECTORS = HERE.parent / "vectors"
RESULT_MARK = "@@HM-RESULT "


def mp_env(*path: Path | str) -> dict[str, str]:
    """Environment for a MicroPython process importing from `path` (in order)."""
    env = dict(os.environ)
    env["MICROPYPATH"] = os.pathsep.join(str(p) for p in path)
    env["HM_VECTORS"] = str(VECTORS)
    return env


def run_mp_module(
    module: str, path: tuple[Path | str, ...], timeout: float = 120
) -> tuple[dict[str, dict[str, str]], str]:
    """Run every test_* of a MicroPython module; returns (results by name, raw output)."""
    proc = subprocess.run(
        [micropython_exe(), str(HERE / "mp_runner.py"), module],
        env=mp_env(*path),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    results: dict[str, dict[str, str]] = {}
    other: list[str] = []
    for line in proc.stdout.splitlines():
        if line.startswith(RESULT_MARK):
            rec = json.loads(line[len(RESULT_MARK) :])
            results[rec["name"]] = rec
        else:
            other.append(line)
    output = "\n".join(other)
    if proc.returncode != 0 or proc.stderr:
        output += f"\n[exit {proc.returncode}]\n{proc.stderr}"
    return results, output
