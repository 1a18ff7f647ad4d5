"""Fast shapes: a method declares its argument shape once, e.g. ``Shape("iif")``
for (int, int, float), and gets a writer and a reader for exactly that list. The
writer checks each value's type against the declaration and skips the list
dispatch; the reader fills a caller list (no list allocated) and refuses any
other shape. The bytes are plain MessagePack, identical to ``mpack.pack`` of the
same values, so any receiver can decode them; ``F_FAST`` tells a receiver the
declared shape applies.

Codes: ``i`` int, ``f`` float, ``s`` str, ``b`` bin (bytes/bytearray/memoryview),
``?`` bool, ``x`` any value.
"""

import micropython

from ._bytes import whdr as _whdr
from ._dec import K_ANY, K_BIN, K_BOOL, K_FLOAT, K_INT, K_STR, check_range, read_array, read_kind
from .errors import MalformedError, UnsupportedError
from .mpack import _pk

_BIN = (bytes, bytearray, memoryview)
# code -> (kind for the reader, types the writer accepts or None for any)
_KINDS = {
    "i": (K_INT, (int,)),
    "f": (K_FLOAT, (float,)),
    "s": (K_STR, (str,)),
    "b": (K_BIN, _BIN),
    "?": (K_BOOL, (bool,)),
    "x": (K_ANY, None),
}
_type = type
_len = len


class Shape:
    """A fixed argument list of 1..15 values of declared kinds."""

    def __init__(self, codes):
        n = len(codes)
        if not 0 < n < 16:
            raise ValueError("a shape has 1 to 15 values")
        for c in codes:
            if c not in _KINDS:
                raise ValueError("unknown shape code " + c)
        self.codes = codes
        self.n = n
        self.kinds = bytes(_KINDS[c][0] for c in codes)
        self.types = [_KINDS[c][1] for c in codes]

    @micropython.native
    def pack_into(self, buf, off, vals):
        """Write vals (a list/tuple matching the shape) at buf[off:]; returns the end offset."""
        n = self.n
        if _len(vals) != n:
            raise UnsupportedError("value count does not match the shape")
        ts = self.types
        i = 0
        while i < n:
            t = ts[i]
            if t is not None and _type(vals[i]) not in t:
                raise UnsupportedError("value does not match the shape")
            i += 1
        off = _whdr(buf, off, n, 0)
        return _pk(buf, off, vals, n, 1, _len(buf))

    @micropython.native
    def unpack_into(self, buf, off, end, out):
        """Read the array in buf[off:end] into out[0:n]; MalformedError if it does not match."""
        n = self.n
        check_range(buf, off, end)
        pos = read_array(buf, off, end, n)
        ks = self.kinds
        i = 0
        while i < n:
            pos = read_kind(buf, pos, end, out, i, ks[i])
            i += 1
        if pos != end:
            raise MalformedError("trailing bytes after the value")
        return out
