"""The 19-byte frame header (docs/protocol.md section 1.1)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .constants import HOPS_MASK, HOPS_SHIFT, MAX_HOPS, VERSION


@dataclass(frozen=True, slots=True)
class Header:
    """Header fields except `plen`, which the codec derives from the payload.

    >>> from harmonia.codec import BROADCAST, REQUEST, ident
    >>> Header(REQUEST, 0x40, 7, 1, BROADCAST, ident("sys"), ident("ping")).hops
    2
    """

    type: int
    flags: int
    seq: int
    src: int
    dst: int
    svc: int
    mth: int
    ver: int = VERSION

    @property
    def hops(self) -> int:
        """Bridges the frame has crossed (flag bits 5-7)."""
        return (self.flags & HOPS_MASK) >> HOPS_SHIFT

    def with_hops(self, hops: int) -> Header:
        """A copy with the hop count replaced; `ValueError` beyond 7."""
        if not 0 <= hops <= MAX_HOPS:
            raise ValueError(f"hop count {hops} is outside 0..{MAX_HOPS}")
        flags = (self.flags & ~HOPS_MASK) | (hops << HOPS_SHIFT)
        return dataclasses.replace(self, flags=flags)
