"""Frame authentication and replay protection (protocol.md 1.4 and 8.8).

The tag is HMAC-SHA256(key, header with HOPS zeroed || payload || nonce ||
counter), first 8 bytes. HMAC is built from `hashlib.sha256` (ports have no
`hmac` module): the padded keys are computed once, so a tag is two hashes.
"""

from hashlib import sha256
from struct import pack_into, unpack_from

from micropython import const

_HDR = const(19)
_WINDOW = const(32)
_RETIRED = const(4)

OK = const(0)
NEW_NONCE = const(1)  # accepted: the sender rebooted since its last frame
BAD = const(2)
REPLAY = const(3)


def parse_key(key):
    """32 bytes from bytes or 64 hex digits; None or "" is open mode."""
    if not key:
        return None
    if type(key) is str:
        from binascii import unhexlify

        key = unhexlify(key)
    if len(key) != 32:
        raise ValueError("the group key must be 32 bytes (64 hex digits)")
    return bytes(key)


class Auth:
    """Seals outgoing frames and checks incoming ones for one node."""

    def __init__(self, key, nonce, max_peers=64):
        self.key = key
        self.nonce = nonce
        self.counter = 0
        self.max_peers = max_peers
        self.tr = bytearray(16)  # the trailer of the frame being sent
        self.rx_nonce = 0  # the nonce of the last frame checked
        self._h = bytearray(_HDR)
        self._win = {}  # src -> [nonce, highest, mask (bit k: highest-k seen), retired...]
        if key is not None:
            k = bytearray(64)
            k[:32] = key
            self._ipad = bytes(b ^ 0x36 for b in k)
            self._opad = bytes(b ^ 0x5C for b in k)

    def _mac(self, buf, end, tr):
        h = self._h
        mv = memoryview(buf)
        h[:] = mv[:_HDR]
        h[2] &= 0x1F
        s = sha256(self._ipad)
        s.update(h)
        s.update(mv[_HDR:end])
        s.update(tr)
        o = sha256(self._opad)
        o.update(s.digest())
        return o.digest()

    def seal(self, buf, end):
        """Trailer for the frame whose header and payload are buf[:end]."""
        self.counter += 1
        tr = self.tr
        pack_into(">II", tr, 0, self.nonce, self.counter)
        d = self._mac(buf, end, memoryview(tr)[:8])
        tr[8:16] = d[:8]
        return tr

    def verify(self, node, buf, plen, src, p):
        """Whether a received frame with the AUTH flag is accepted (from peer p, or None);
        a refused one is counted in node.drops, a sender's new boot nonce told to discovery."""
        v = self.check(buf, plen, src)
        if v >= BAD:
            node.drops["auth" if v == BAD else "replay"] += 1
            return False
        if v == NEW_NONCE and p is not None:
            node.disc.rebooted(p, self.rx_nonce)
        return True

    def check(self, buf, plen, src):
        """Verdict for a received frame with the AUTH flag (OK, NEW_NONCE, BAD or REPLAY)."""
        if self.key is None:
            return BAD
        off = _HDR + plen
        d = self._mac(buf, off, memoryview(buf)[off : off + 8])
        x = 0
        i = 0
        while i < 8:
            x |= d[i] ^ buf[off + 8 + i]
            i += 1
        if x:
            return BAD
        nc = unpack_from(">II", buf, off)
        self.rx_nonce = nc[0]
        return self.admit(src, nc[0], nc[1])

    def admit(self, src, nonce, counter):
        w = self._win.get(src)
        if w is None:
            if len(self._win) >= self.max_peers:
                for k in self._win:
                    del self._win[k]
                    break
            self._win[src] = [nonce, counter, 1]
            return OK
        if nonce != w[0]:
            if nonce in w[3:]:
                return REPLAY
            w.append(w[0])
            if len(w) > 3 + _RETIRED:
                w.pop(3)
            w[0] = nonce
            w[1] = counter
            w[2] = 1
            return NEW_NONCE
        hi = w[1]
        if counter > hi:
            sh = counter - hi
            if sh > _WINDOW:
                w[2] = 1
            else:
                w[2] = ((w[2] & ((1 << (_WINDOW + 1 - sh)) - 1)) << sh) | 1
            w[1] = counter
            return OK
        sh = hi - counter
        if sh > _WINDOW or (w[2] >> sh) & 1:
            return REPLAY
        w[2] |= 1 << sh
        return OK
