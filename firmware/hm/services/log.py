"""`log`: the board's recent log lines, for `harmonia logs`.

    from hm.services.log import log
    log("pump on, level", 42)      # printed, kept in the ring, sent as a `log.line` event

hm.app offers it on every node ("log_lines" in /hm.json: ring size, 32; 0: no service).
It also takes the node's own messages (link errors, failed callbacks). Methods:
`tail(n, before=0)` -> up to n lines before seq `before` (0: the newest), oldest first,
as many as fit one frame (page back with `before`). Each line and each `log.line` event
is [seq, ms, text]: seq counts lines since boot (1, 2, ...), ms is the uptime.
"""

import time

from micropython import const

_MAX_TEXT = const(160)  # longer lines are cut: a line must fit one small frame
_SIZE = const(32)
_BUDGET = const(3000)  # bytes of lines in one tail() answer; a frame holds 4096

_t0 = time.ticks_ms()


class Ring:
    """The last `size` lines, preallocated slots reused in turn."""

    def __init__(self, size=_SIZE):
        self.size = size if size > 0 else 1
        self.lines = [(0, 0, "")] * self.size  # slots, reused in turn
        self.seq = 0

    def add(self, ms, text):
        self.seq += 1
        line = (self.seq, ms, text)
        self.lines[self.seq % self.size] = line
        return line

    def tail(self, n, before=0):
        """Up to n lines older than seq `before` (0: the newest), oldest first, no more
        than fit one answer frame; ask again with the first seq to page back."""
        size = self.size
        s = self.seq if before <= 0 or before > self.seq else before - 1
        oldest = self.seq - size + 1
        out: list = []
        used = 0
        while s >= oldest and s > 0 and len(out) < n:
            line = self.lines[s % size]
            used += len(line[2].encode()) + 12
            if used > _BUDGET:
                break
            out.append(line)
            s -= 1
        out.reverse()
        return out


_ring = Ring()
_node = None
_busy = False


def _record(text):
    global _busy
    if len(text) > _MAX_TEXT:
        text = text[:_MAX_TEXT]
    line = _ring.add(time.ticks_diff(time.ticks_ms(), _t0), text)
    if _node is None or _busy:
        return  # no bus yet, or a line logged while publishing one
    _busy = True
    try:
        _node.publish("log.line", line)
    except Exception:  # logging must never raise into its caller
        pass
    finally:
        _busy = False


def log(*parts):
    """Print like print() and keep the line (sent to `log.line` subscribers)."""
    text = " ".join(p if type(p) is str else str(p) for p in parts)
    print(text)
    _record(text)


class LogService:
    def tail(self, n=20, before=0):
        return _ring.tail(int(n), int(before))


def register(node):
    global _node, _ring
    if _node is node:
        return  # already offered (hm.app does; "hm.services.log" in services is harmless)
    size = (getattr(node, "cfg", None) or {}).get("log_lines", _SIZE)
    if size != _ring.size:
        old = _ring
        _ring = Ring(size)
        for line in old.tail(size):
            _ring.add(line[1], line[2])
    own = node.log

    def node_log(msg):
        own(msg)
        _record(str(msg))

    node.log = node_log
    _node = node
    node.register("log", LogService(), "1.0", ("tail",), ("line",))
