"""The virtual `machine` on a fragmented heap: what a board's C drivers do without
allocating (UART reads, I2C calls) must not need a large free block here either."""

from __future__ import annotations

import json
from pathlib import Path

from hwtools import rig

# Fill the heap with 1000-byte blocks and free every other one: most of the heap is free,
# but in holes of about 1 KB, so anything that wants 4 KB at once fails with MemoryError.
FRAGMENT = """
import gc
gc.collect()
_blocks = [None] * 400
for _i in range(len(_blocks)):
    try:
        _blocks[_i] = bytearray(1000)
    except MemoryError:
        break
for _i in range(0, len(_blocks), 2):
    _blocks[_i] = None
gc.collect()
try:
    bytearray(4096)
    fragmented = False
except MemoryError:
    fragmented = True
"""

# Read `n` bytes the host sent, the way the bus does (readinto a chunk) and the way a
# polling driver does (any(), then read), counting what the heap gives out meanwhile.
READ = """
def measure(n, polled):
    gc.collect()
    gc.disable()
    before = gc.mem_alloc()
    got = calls = 0
    try:
        while got < n and calls < 20000:
            calls += 1
            if polled:
                k = u.any()
                if k:
                    got += len(u.read(min(k, len(chunk))))
            else:
                got += u.readinto(chunk) or 0
        grown = gc.mem_alloc() - before
        for _ in range(200):  # nothing more to read: any() costs nothing
            u.any()
        idle = gc.mem_alloc() - before - grown
    finally:
        gc.enable()
    return [got, calls, grown, idle]
"""


def test_uart_reads_need_no_large_block_and_allocate_nothing(tmp_path: Path) -> None:
    with rig(tmp_path, heapsize="96k") as r:
        r.exec("from machine import UART, I2C\nu = UART(1)\nchunk = bytearray(64)\n" + READ)
        r.client.uart_write(1, bytes(range(256)) * 12)  # 3 KB waiting before the heap breaks
        out = r.exec(FRAGMENT + "print(json.dumps([fragmented, gc.mem_free(), measure(3072, 0)]))"
                     .replace("json.", "__import__('json')."))
        fragmented, free, (got, calls, grown, idle) = json.loads(out)
        assert fragmented and free > 40_000, "the heap did not fragment as intended"
        assert got == 3072
        assert grown == 0, f"readinto allocated {grown} bytes over {calls} calls"
        assert idle == 0, f"200 any() calls with nothing to read allocated {idle} bytes"
        r.client.uart_write(1, b"x" * 3000)
        got, calls, grown, idle = json.loads(r.exec(
            "print(__import__('json').dumps(measure(3000, 1)))"))
        assert got == 3000 and idle == 0
        # read(n) returns a new bytes object (its API): small pieces, never a 4 KB buffer
        assert grown <= calls * 512, f"any()/read allocated {grown} bytes in {calls} calls"


def test_hub_calls_work_on_a_fragmented_heap(tmp_path: Path) -> None:
    with rig(tmp_path, heapsize="96k") as r:
        r.client.attach_i2c(0, 0x18, {0x05: b"\xc1\x90"}, auto_increment=False)
        r.exec("from machine import I2C\ni2c = I2C(0)\nbuf = bytearray(2)")
        out = r.exec(FRAGMENT + """
errors = 0
for _i in range(500):
    try:
        i2c.readfrom_mem_into(0x18, 0x05, buf)
    except MemoryError:
        errors += 1
del _blocks
print(fragmented, errors, buf.hex())
""")
        assert out.split() == ["True", "0", "c190"]
