"""Bridging (protocol.md 8.7): forwarding frames between links, and the nodes that
bridges reach. Loaded only when a node has more than one link or hears of a bridge."""

import asyncio

from micropython import const

from hm.codec.crc import crc16
from hm.codec.frame import T_ERROR, T_REQUEST

from .errors import NO_NODE

_MAX_HOPS = const(7)


def forward(n, link, buf, k, h, addr):
    """Frame buf[:k] (header list h) for another node: on along its route, else dropped."""
    hops = h[2] >> 5
    p = n.route(h[5])
    if p is None or p.link is None or p.link is link or hops >= _MAX_HOPS:
        n.drops["hops" if hops >= _MAX_HOPS else "route"] += 1
        if h[1] == T_REQUEST:
            msg = "no route to node %08x" % h[5]  # noqa: UP031
            n.send(T_ERROR, h[4], h[6], h[7], h[3], [NO_NODE, "NoSuchNode", msg], 0, link, addr)
        return
    # forwarded verbatim (8.7): only the hop count and the CRC change
    fw = n.tx
    if buf is not fw:
        fw[:k] = buf
    fw[2] = (fw[2] & 0x1F) | ((hops + 1) << 5)
    c = crc16(fw, k - 2)
    fw[k - 2] = c >> 8
    fw[k - 1] = c & 0xFF
    if n.out(p.link, fw, k, p.addr):
        n.st["fwd"] += 1


def reaches(n, link):
    """Direct peers on other links, which n bridges to (a beacon's "r" on link), or None."""
    out = None
    for i in n.peers:
        p = n.peers[i]
        if p.via is None and p.link is not None and p.link is not link and (
            not (p.link.dgram and link.dgram)
        ):
            if out is None:
                out = []
            out.append(i)
    return out


def _nth(x, k, n):
    """x[k] when x is a list of n (a beacon's "rd" / "ro" beside its "r"), else None."""
    if type(x) is list and len(x) == n:
        v = x[k]
        if type(v) is int:
            return v
    return None


def reach(d, b, r, now, rd=None, ro=None):
    """Bridge b's beacon lists r: the nodes behind it join, those it no longer lists leave.

    rd / ro give each one's services digest and boot nonce as b last heard them: a change
    makes this node subscribe there again, as a direct peer's own beacon would (8.5)."""
    n = d.node
    new: list | tuple = ()
    if type(r) is list:
        new = [i for i in r if type(i) is int and i != n.id and i != b.id]
    m = len(r) if new else 0
    for k in range(m):
        i = r[k]
        if i not in new:
            continue
        dg = _nth(rd, k, m)
        o = _nth(ro, k, m)
        q = n.peers.get(i)
        if q is None:
            q = d.new(i, now)
            if q is None:
                continue
            q.via = b.id
            q.link = b.link
            q.addr = b.addr
            if dg is not None:
                q.digest = dg
            if o is not None:
                q.nonce = o
            d.joined(q)
            asyncio.create_task(_ask_name(n, i))
        elif q.via is not None:
            q.via = b.id
            q.link = b.link
            q.addr = b.addr
            q.seen = now
            again = False
            if dg is not None:
                again = q.digest != -1 and dg != q.digest
                q.digest = dg
            if o is not None:
                # resubscribe only: what it asked of us is dropped when its own frames show the
                # new nonce (auth), never on a bridge's word that may lag them
                again = again or (q.nonce is not None and o != q.nonce)
                q.nonce = o
            if again:
                n.ev.refresh(q, True)
    for i in b.reach:
        if i not in new:
            q = n.peers.get(i)
            if q is not None and q.via == b.id:
                d.remove(q)
    b.reach = new


async def _ask_name(n, pid):
    """A bridged node's name, board and version (its beacons do not reach us)."""
    try:
        info = await n.call(pid, "sys.info", (), 2000)
    except Exception:
        return
    p = n.peers.get(pid)
    if p is not None and type(info) is dict:
        p.name = info.get("name") or ""
        p.board = info.get("board") or ""
        p.version = info.get("version") or ""
        n.ev.refresh(p)  # subscriptions that name this node can be made now
