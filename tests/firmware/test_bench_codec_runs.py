"""tools/bench_codec runs end to end (--quick: few iterations, no callgrind) and prints
every row; the figures themselves are not checked here (no timing assertions)."""

from __future__ import annotations

import subprocess
import sys

from mp_harness import HERE

BENCH = HERE.parents[1] / "tools" / "bench_codec"
ROWS = [
    "CRC 64 B",
    "COBS encode",
    "COBS decode",
    "header pack",
    "header unpack",
    "route",
    "frame encode",
    "frame decode",
]


def test_quick_benchmark_prints_every_row() -> None:
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--quick"], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    table = out.split("Clean vs fragmented")[0]
    for row in ROWS:
        line = next((ln for ln in table.splitlines() if ln.startswith(row)), None)
        assert line is not None, f"no row for {row}:\n{out}"
        assert line.count("|") == 2, line  # codec | bytecode ref | base
    frag = out.split("Clean vs fragmented")[1].split("Targets")[0]
    for op in ("route", "frame encode"):
        assert sum(ln.startswith(op) for ln in frag.splitlines()) == 2, frag  # codec and ref
    for target in ("route", "frame encode", "frame decode", "clean vs fragmented"):
        assert target in out.split("Targets")[1]
    sizes = out.split(".mpy size")[1]
    for arch in ("rv32imc", "armv6m", "armv7emsp", "x64"):
        assert arch in sizes
    assert "total" in sizes and "frame.py" in sizes
