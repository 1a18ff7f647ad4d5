# Zero allocation on the hot paths: under micropython.heap_lock() (any heap use
# raises MemoryError) and by micropython.mem_total() over many calls (a bytecode
# frame too large for the C stack is heap-allocated at every call, and heap_lock
# alone does not see it: the VM then falls back to the C stack).
import micropython
from hm.codec import cobs, crc, frame, mpack, shape

K = 50
PAYLOADS = [
    None,
    True,
    False,
    0,
    5,
    -7,
    300,
    -70000,
    2**31 + 5,
    1.5,
    -0.0,
    "",
    "ascii text",
    "héllo €",
    b"bytes",
    bytearray(b"ba"),
    memoryview(b"mv"),
    [],
    (1, 2),
    [1, 2.5, "x", b"y", None, True, [3, [4, [5]]]],
    {"a": 1, "b": [2, 3.5]},
]


@micropython.native
def _call(fn, a):
    # Star-calls allocate their argument tuple, so each arity is spelled out; native
    # code keeps this helper's own frame on the C stack.
    n = len(a)
    if n == 2:
        return fn(a[0], a[1])
    if n == 3:
        return fn(a[0], a[1], a[2])
    if n == 4:
        return fn(a[0], a[1], a[2], a[3])
    if n == 9:
        return fn(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8])
    return fn(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9])


@micropython.native
def _check(fn, *args):
    _call(fn, args)  # warm the caches (first lookups may allocate)
    micropython.heap_lock()
    try:
        _call(fn, args)
    finally:
        micropython.heap_unlock()
    before = micropython.mem_total()
    for _ in range(K):
        _call(fn, args)
    used = micropython.mem_total() - before
    assert used == 0, "allocated " + str(used // K) + " bytes per call"


def test_encode_into_a_caller_buffer_allocates_nothing():
    buf = bytearray(frame.MAX_FRAME)
    for p in PAYLOADS:
        _check(frame.encode_into, buf, 1, 0, 0x1234, 0xFFFFFFFF, 0x80000000, 0xB1F1, 0xF72B, p)
    auth = bytes(16)
    _check(frame.encode_into, buf, 1, 1, 1, 2, 3, 4, 5, [1, "x"], auth)


def test_pack_into_allocates_nothing():
    buf = bytearray(256)
    for p in PAYLOADS:
        _check(mpack.pack_into, buf, 0, p)


def test_route_allocates_nothing():
    r = frame.Router(16)
    for i in range(15):
        r.add(0x100 + i, 0x200 + i, i)
    buf = bytearray(frame.MAX_FRAME)
    n = frame.encode_into(buf, 1, 0, 1, 0xFFFFFFFF, 0xFFFFFFFF, 0x10E, 0x20E, [1, 2.5, "x"])
    enc = bytearray(cobs.max_encoded(n))
    k = cobs.encode_into(buf, n, enc) - 1
    assert r.route(enc, k) == 14
    _check(r.route, enc, k)
    _check(r.route_frame, buf, n)
    n = frame.encode_into(buf, 1, 0, 1, 2, 3, 0x999, 0x999, None)
    assert r.route_frame(buf, n) == -1
    _check(r.route_frame, buf, n)


def test_byte_level_helpers_allocate_nothing():
    buf = bytearray(frame.MAX_FRAME)
    n = frame.encode_into(buf, 1, 0, 1, 2, 3, 4, 5, list(range(100)))
    enc = bytearray(cobs.max_encoded(n))
    k = cobs.encode_into(buf, n, enc)
    out = bytearray(frame.MAX_FRAME)
    _check(crc.crc16, buf, n)
    _check(cobs.encode_into, buf, n, enc)
    _check(cobs.decode_into, enc, k - 1, out)
    _check(frame.seal_into, buf, 1, 0, 1, 2, 3, 4, 5, n - 21)
    _check(frame.check, buf, n)
    _check(frame.pack_header, buf, 1, 0, 1, 2, 3, 4, 5, 6)
    _check(frame.unpack_header, buf, [0] * 9)


def test_fast_shape_writer_allocates_nothing():
    s = shape.Shape("iifs?b")
    buf = bytearray(64)
    _check(s.pack_into, buf, 0, [1, -300, 2.5, "x", True, b"z"])


def test_fast_shape_reader_allocates_only_its_values():
    s = shape.Shape("ii?")
    buf = bytearray(64)
    end = s.pack_into(buf, 0, [1, -300, True])
    _check(s.unpack_into, buf, 0, end, [0, 0, 0])
