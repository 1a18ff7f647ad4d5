"""Fast shapes: a method declares its argument shape once, e.g. ``Shape("iif")``
for (int, int, float), and gets a writer and a reader with no per-value type
dispatch. The bytes are still plain MessagePack, identical to ``mpack.pack`` of
the same values, so any receiver can decode them; ``F_FAST`` tells a receiver
the shape applies.

Codes: ``i`` int, ``f`` float, ``s`` str, ``b`` bin (bytes/bytearray/memoryview),
``?`` bool, ``x`` any value (generic encoder/decoder).
"""

import micropython

from . import _dec, mpack
from ._bytes import w1 as _w1
from ._bytes import wbin as _wbin
from ._bytes import wstr as _wstr
from .errors import UnsupportedError

_UNI = mpack._UNI


def _w_str(b, o, v):
    return _wstr(b, o, v, _UNI)


def _w_bool(b, o, v):
    return _w1(b, o, 0xC3 if v else 0xC2)


def _w_any(b, o, v):
    return mpack._pk(b, o, v, 1)


# code -> (writer, reader, required type or None)
_KINDS = {
    "i": (mpack._int, _dec.r_int, int),
    "f": (mpack._flt, _dec.r_float, float),
    "s": (_w_str, _dec.r_str, str),
    "b": (_wbin, _dec.r_bin, None),
    "?": (_w_bool, _dec.r_bool, bool),
    "x": (_w_any, _dec.r_any, None),
}


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
        self.writers = [_KINDS[c][0] for c in codes]
        self.readers = [_KINDS[c][1] for c in codes]
        self.types = [_KINDS[c][2] for c in codes]

    @micropython.native
    def pack_into(self, buf, off, vals):
        """Write vals (a list/tuple matching the shape) at buf[off:]; returns the end offset."""
        n = self.n
        if len(vals) != n:
            raise UnsupportedError("value count does not match the shape")
        ws = self.writers
        ts = self.types
        off = _w1(buf, off, 0x90 | n)
        i = 0
        while i < n:
            v = vals[i]
            t = ts[i]
            if t is not None and type(v) is not t:
                raise UnsupportedError("value does not match the shape")
            off = ws[i](buf, off, v)
            i += 1
        return off

    @micropython.native
    def unpack_into(self, buf, off, end, out):
        """Read the array in buf[off:end] into out[0:n]; MalformedError if it does not match."""
        n = self.n
        _dec.begin(buf, off, end)
        _dec.r_array(buf, n)
        rs = self.readers
        i = 0
        while i < n:
            out[i] = rs[i](buf)
            i += 1
        _dec.finish()
        return out
