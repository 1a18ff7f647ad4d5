"""The bus's heap on a board: sys, bus (and log) and one user service under load, as deployed
(.mpy), on the ESP32-C3 profile's heap, stay within a budget (not timed: a fixed number of
calls). tools/bench_bus --heap-only gives the same figures with a timed load."""

from __future__ import annotations

from typing import TYPE_CHECKING

from heaptools import measure

if TYPE_CHECKING:
    from conftest import FwBus

# Measured at 87,168 B at peak (73,504 B of it the 24 modules' code) on the x64 unix port,
# whose 8-byte words make it about 1.45 times a board's figure (60,752 B on a 32-bit build).
# The budget leaves room for sampling noise only: more than this is a regression to find.
PEAK_BUDGET = 90_112  # 88 KiB
NEVER_LOADED = {"hm._boot", "hm.bus.call", "hm.bus.bridge", "hm.codec.shape", "asyncio.funcs"}


def test_bus_with_one_user_service_stays_in_its_heap_budget_under_load(fwbus: FwBus) -> None:
    heap = measure(fwbus, calls=4000, conc=8)
    assert heap["peak_bytes"] <= PEAK_BUDGET, heap
    assert heap["free_at_peak_bytes"] > 0
    # what keeps it there: set-up code dropped, a serving node never loads the calling side,
    # bridging or argument shapes
    assert not NEVER_LOADED & set(heap["modules"]), heap["modules"]
