"""Fast shapes: a method declares its argument shape once, e.g. ``Shape("iif")``
for (int, int, float), and gets a writer and a reader for exactly that list. The
writer checks each value's type against the declaration, then encodes as the
generic encoder does, in one viper call; the reader fills a caller list (no list
allocated, one viper call) and refuses any other shape. The bytes are plain
MessagePack, identical to ``mpack.pack`` of the same values, so any receiver can
decode them; ``F_FAST`` tells a receiver the declared shape applies.

Codes: ``i`` int, ``f`` float, ``s`` str, ``b`` bin (bytes/bytearray/memoryview),
``?`` bool, ``x`` any value.
"""

import micropython

from ._dec import K_ANY, K_BIN, K_BOOL, K_FLOAT, K_INT, K_STR, check_range, read_shape
from .errors import MalformedError, UnsupportedError
from .mpack import pack_kinds

_KINDS = {"i": K_INT, "f": K_FLOAT, "s": K_STR, "b": K_BIN, "?": K_BOOL, "x": K_ANY}
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
        self.kinds = bytes(_KINDS[c] for c in codes)

    @micropython.native
    def pack_into(self, buf, off, vals):
        """Write vals (a list/tuple matching the shape) at buf[off:]; returns the end offset."""
        if _len(vals) != self.n:
            raise UnsupportedError("value count does not match the shape")
        return pack_kinds(buf, off, vals, self.n, self.kinds, _len(buf))

    @micropython.native
    def unpack_into(self, buf, off, end, out):
        """Read the array in buf[off:end] into out[0:n]; MalformedError if it does not match."""
        check_range(buf, off, end)
        if read_shape(buf, off, end, out, self.kinds, self.n) != end:
            raise MalformedError("trailing bytes after the value")
        return out
