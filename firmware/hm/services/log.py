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


_lines: list = [None] * _SIZE  # line seq is in slot seq % len(_lines); a line: (seq, ms, text)
_seq = 0  # lines since boot
_node = None
_busy = False


def _record(text):
    global _busy, _seq
    if len(text) > _MAX_TEXT:
        text = text[:_MAX_TEXT]
    _seq += 1
    line = (_seq, time.ticks_diff(time.ticks_ms(), _t0), text)
    _lines[_seq % len(_lines)] = line
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
        """Up to n lines older than seq `before` (0: the newest), oldest first, no more
        than fit one answer frame; ask again with the first seq to page back."""
        n = int(n)
        before = int(before)
        size = len(_lines)
        s = _seq if before <= 0 or before > _seq else before - 1
        oldest = _seq - size + 1
        out: list = []
        used = 0
        while s >= oldest and s > 0 and len(out) < n:
            line = _lines[s % size]
            used += len(line[2].encode()) + 12
            if used > _BUDGET:
                break
            out.append(line)
            s -= 1
        out.reverse()
        return out


def register(node):
    global _node, _lines
    if _node is node:
        return  # already offered (hm.app does; "hm.services.log" in services is harmless)
    size = max(1, node.cfg.get("log_lines", _SIZE))
    if size != len(_lines):  # keep the lines logged so far, under their numbers
        old = _lines
        _lines = [None] * size
        for s in range(max(1, _seq - min(size, len(old)) + 1), _seq + 1):
            _lines[s % size] = old[s % len(old)]
    own = node.log

    def node_log(msg):
        own(msg)
        _record(str(msg))

    node.log = node_log
    _node = node
    node.register("log", LogService(), "1.0", ("tail",), ("line",))
