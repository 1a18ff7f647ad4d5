"""Test service: the heap as board code sees it (free bytes, largest block after a collection)."""

import gc


def largest():
    gc.collect()
    lo, hi = 0, gc.mem_free()
    while lo < hi:
        mid = (lo + hi + 1) // 2
        try:
            b = bytearray(mid)
            del b
            lo = mid
        except MemoryError:
            hi = mid - 1
    return lo


class Mem:
    def info(self):
        gc.collect()
        free = gc.mem_free()
        return {"free": free, "largest": largest()}


def register(node):
    node.register("mem", Mem(), "1.0", ("info",))
