"""The agent's own code (hm.group) in a simulated group on the MicroPython unix port:
members on fake nodes, one fake clock, a network that delays, drops, reorders and
partitions, members that crash, restart and freeze. No exclusive role ever runs on two
members, and after the faults stop every role runs on exactly one (fw/gsim.py)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from harmonia.build import cached_build
from harmonia.paths import micropython_exe

GSIM = Path(__file__).resolve().parent / "fw" / "gsim.py"
SEEDS = range(1, 9)
SECONDS = 120  # simulated, per seed: about 0.35 s of real time


@pytest.mark.parametrize("seed", SEEDS)
def test_no_exclusive_role_ever_runs_twice_through_cuts_crashes_and_freezes(seed: int) -> None:
    env = dict(os.environ, MICROPYPATH=f"{cached_build('x64')}:.frozen:{GSIM.parent}")
    proc = subprocess.run([micropython_exe(), "-X", "heapsize=4000000", str(GSIM), str(seed),
                           str(SECONDS)], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["nviolations"] == 0, result
    assert result["live"], result
    assert result["stats"]["cuts"] > 5 and result["stats"]["crashes"] > 0, result
