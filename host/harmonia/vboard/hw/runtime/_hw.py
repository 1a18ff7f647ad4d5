# mypy: ignore-errors
# The link between `machine`/`network` and the board's hardware hub (harmonia.vboard.hw).
#
# Two unix-socket connections to the hub at $HM_HW:
# - "ctl": request/reply calls made by board code (main thread), matched by id;
# - "evt": events pushed by the hub (pin level changes), read by a background
#   thread that also runs the Timer/WDT clocks. The thread never runs user code:
#   it queues callbacks and hands them to the main thread with
#   micropython.schedule(), the way a port runs soft IRQ handlers. When a
#   callback is queued it asks the hub for a "kick" (a signal that interrupts a
#   blocking sleep/poll/read in the main thread so the callback runs at once).
# Receiving allocates nothing per call: each connection reads with readinto() into its
# own buffer (a board's machine module allocates nothing to talk to its peripherals, and
# a 4 KB buffer per call fails on a fragmented heap long before the heap is full).
# See docs/vboard-hw.md.
import _thread
import errno
import json
import os
import select
import socket
import struct
import sys
import time

import micropython
from micropython import const

_QMAX = const(64)  # queued callbacks kept before new ones are dropped
_WAIT_MS = const(10)  # poll slice while waiting for a reply (lets nested calls finish)
_REKICK_MS = const(50)  # longest wait before asking again for a kick that went unanswered
_CTL_BUF = const(512)  # reply buffer; it grows (rarely) for a reply line longer than it
_EVT_BUF = const(256)  # event buffer, same rule

_path = os.getenv("HM_HW")
if not _path:
    raise ImportError("machine: HM_HW is unset, so there is no virtual hardware hub to reach")

_ERRORS = {"OSError": OSError, "ValueError": ValueError, "TypeError": TypeError}


def _connect(role, hello):
    """A connection to the hub, non-blocking: reads are readinto() of what is there."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(struct.pack("H", socket.AF_UNIX) + _path.encode() + b"\0")
    s.setblocking(False)
    hello["op"] = "hello"
    hello["role"] = role
    send(s, json.dumps(hello).encode() + b"\n")
    return s


def connect(role, hello):
    """A new connection to the hub (also used by UART for its byte stream)."""
    return _connect(role, hello)


def send(s, data):
    """Send all of data on a non-blocking socket, waiting while the hub's side is full;
    unlike sendall, a signal never cuts it short."""
    mv = memoryview(data)
    n = 0
    while n < len(data):
        try:
            n += s.send(mv[n:])
        except OSError as e:
            if e.errno != errno.EAGAIN:
                raise
            p = select.poll()
            p.register(s, select.POLLOUT)
            p.poll(_WAIT_MS)


class Lines:
    """Lines (JSON messages) from a non-blocking socket, read into one buffer."""

    def __init__(self, sock, size):
        self.sock = sock
        self.buf = bytearray(size)
        self.mv = memoryview(self.buf)
        self.n = 0  # bytes held

    def fill(self):
        """Read what has arrived; False if nothing had. OSError if the hub went away."""
        if self.n == len(self.buf):  # a line longer than the buffer: make room once
            self.buf = self.buf + bytearray(len(self.buf))
            self.mv = memoryview(self.buf)
        k = self.sock.readinto(self.mv[self.n :] if self.n else self.buf)
        if k is None:
            return False
        if not k:
            raise OSError(errno.ENOTCONN, "hardware hub closed the connection")
        self.n += k
        return True

    def each(self, fn):
        """fn(message) for every whole line held; the rest stays."""
        start = 0
        while True:
            i = self.buf.find(b"\n", start, self.n)
            if i < 0:
                break
            fn(json.loads(self.mv[start:i]))
            start = i + 1
        if start:
            rest = self.n - start
            if rest:
                self.mv[:rest] = self.mv[start : self.n]
            self.n = rest


# ---- calls (main thread, reentrant: an IRQ handler may call while a call waits)

_ctl = _connect("ctl", {"kick": int(os.getenv("HM_HW_KICK") or 0)})
_ctl_poll = select.poll()
_ctl_poll.register(_ctl, select.POLLIN)
_ctl_lines = Lines(_ctl, _CTL_BUF)
_replies = {}
_next_id = 0
_queue = []  # (callback, argument) waiting for the main thread (below: _lock guards it)
_hold = False  # reading replies: scheduled callbacks wait (they may call, and read, too)


def _reply(msg):
    _replies[msg.get("i")] = msg


def _read_replies():
    global _hold
    for _ in _ctl_poll.ipoll(_WAIT_MS):  # IRQ handlers run here while the call waits
        break
    else:
        return
    _hold = True
    try:
        if _ctl_lines.fill():  # nothing: a nested call (an IRQ handler) took the bytes
            _ctl_lines.each(_reply)
    finally:
        _hold = False
    if _queue:
        schedule()  # a hand-over put off while the buffer was in use


def call(op, args=None):
    """Ask the hub to do op; returns its result or raises the error it names."""
    global _next_id
    _next_id += 1
    rid = _next_id
    msg = args if args is not None else {}
    msg["op"] = op
    msg["i"] = rid
    send(_ctl, json.dumps(msg).encode() + b"\n")
    while rid not in _replies:
        _read_replies()
    rep = _replies.pop(rid)
    if "e" in rep:
        exc = _ERRORS.get(rep.get("t"), RuntimeError)
        if exc is OSError and rep.get("n"):
            raise OSError(rep["n"])
        raise exc(rep["e"])
    return rep.get("r")


info = call("boot")  # name, uid, mac, freq, pins, npins, wifi, levels, cause

# ---- state shared with the event thread (every access holds _lock)

_lock = _thread.allocate_lock()
_levels = {}  # pin -> level the board sees
_seqs = {}  # pin -> hub sequence number of that level
_irqs = {}  # pin -> (trigger mask, handler, Pin object)
_timers = []  # Timer objects with a deadline
_scheduled = False
_masked = False  # machine.disable_irq()
_wdt = None  # [deadline ms, timeout ms] or None
wrote = {}  # pin -> value board code last drove (main thread only; skips repeat writes)
in_irq = False  # an IRQ/Timer callback runs: SystemExit cannot leave it
tokens = 0  # numbers the UART streams this process opens

for _k in info["levels"]:
    _levels[int(_k)] = info["levels"][_k][0]
    _seqs[int(_k)] = info["levels"][_k][1]


def pin_id(pin):
    """The pin number of a Pin, an int, or a board pin name such as "LED"."""
    if hasattr(pin, "_id"):
        return pin._id
    if isinstance(pin, str):
        if pin not in info["pins"]:
            raise ValueError("invalid pin")
        return info["pins"][pin]
    n = info["npins"]
    if not isinstance(pin, int) or pin < 0 or (n and pin >= n):
        raise ValueError("invalid pin")
    return pin


def level(pin):
    with _lock:
        return _levels.get(pin, 0)


def update(pin, value, seq):
    """Record a pin level; queue its IRQ handler on a matching edge. True if queued."""
    with _lock:
        if seq < _seqs.get(pin, 0):
            return False
        _seqs[pin] = seq
        old = _levels.get(pin, 0)
        _levels[pin] = value
        if value == old:
            return False
        irq = _irqs.get(pin)
        if irq is None or not irq[0] & (1 if value else 2):
            return False
        return _enqueue(irq[1], irq[2])


def set_irq(pin, entry):
    with _lock:
        if entry is None:
            _irqs.pop(pin, None)
        else:
            _irqs[pin] = entry


def _enqueue(fn, arg):
    if len(_queue) >= _QMAX:
        return False
    _queue.append((fn, arg))
    return True


def schedule():
    """Hand queued callbacks to the main thread; True if a new hand-over started."""
    global _scheduled
    with _lock:
        if _scheduled or _masked or not _queue:
            return False
        _scheduled = True
    try:
        micropython.schedule(_dispatch, None)
    except RuntimeError:  # the port's schedule queue is full; the event thread retries
        with _lock:
            _scheduled = False
        return False
    return True


def _dispatch(_):
    global _scheduled, in_irq
    with _lock:
        _scheduled = False
        if _hold or _masked:  # run later: _read_replies or mask(False) schedule again
            return
        items = _queue[:]
        del _queue[:]
    in_irq = True
    try:
        for fn, arg in items:
            try:
                fn(arg)
            except Exception as e:  # a failing handler must not stop the others
                print("Unhandled exception in IRQ callback handler")
                sys.print_exception(e)
    finally:
        in_irq = False


def mask(on):
    global _masked
    with _lock:
        was = _masked
        _masked = on
    if not on:
        schedule()
    return was


def add_timer(t):
    with _lock:
        if t not in _timers:
            _timers.append(t)
    call("poke")  # wake the event thread so it sees the new deadline


def remove_timer(t):
    with _lock:
        if t in _timers:
            _timers.remove(t)


def set_wdt(timeout_ms):
    global _wdt
    with _lock:
        if timeout_ms is None:
            _wdt = None
        else:
            _wdt = [time.ticks_add(time.ticks_ms(), timeout_ms), timeout_ms]
    if timeout_ms is not None:
        call("poke")


def feed_wdt():
    with _lock:
        if _wdt is not None:
            _wdt[0] = time.ticks_add(time.ticks_ms(), _wdt[1])


# ---- the event thread


def _next_wait(now):
    """ms until the next timer or watchdog deadline, or -1 for none."""
    wait = -1
    with _lock:
        if _queue and not _scheduled and not _masked:
            wait = 2  # the schedule queue was full: retry soon
        for t in _timers:
            d = max(0, time.ticks_diff(t._due, now))
            if wait < 0 or d < wait:
                wait = d
        if _wdt is not None:
            d = max(0, time.ticks_diff(_wdt[0], now))
            if wait < 0 or d < wait:
                wait = d
    return wait


def _run_clocks(now):
    """Queue callbacks of due timers; True if the watchdog ran out."""
    with _lock:
        for t in _timers[:]:
            if time.ticks_diff(now, t._due) < 0:
                continue
            if t._cb is not None:
                _enqueue(t._cb, t)
            if t._period:
                t._due = time.ticks_add(t._due, t._period)
                if time.ticks_diff(now, t._due) > 0:  # fell behind: skip, as hardware does
                    t._due = time.ticks_add(now, t._period)
            else:
                _timers.remove(t)
        return _wdt is not None and time.ticks_diff(now, _wdt[0]) >= 0


_acked = [-1]  # highest event sequence number taken in and not yet acknowledged


def _event(msg):
    if msg.get("ev") == "pin":
        update(msg["p"], msg["v"], msg["s"])
    if "s" in msg and msg["s"] > _acked[0]:
        _acked[0] = msg["s"]


def _events(evt):
    poller = select.poll()
    poller.register(evt, select.POLLIN)
    lines = Lines(evt, _EVT_BUF)
    rekick = 0  # ms before kicking again while a hand-over waits; 0: none waits
    kicked = 0  # ticks_ms of the last kick
    while True:
        wait = _next_wait(time.ticks_ms())
        if rekick:
            wait = rekick if wait < 0 else min(wait, rekick)
        for _ in poller.ipoll(wait):
            try:
                lines.fill()
            except OSError:
                return  # the hub went away; calls will report it
            lines.each(_event)
        if _run_clocks(time.ticks_ms()):
            set_wdt(None)
            send(evt, b'{"wdt":1}\n')
        kick = schedule()
        with _lock:
            waiting = _scheduled
        # A kick can land just before the main thread blocks (or while it runs another
        # scheduled callback) and wake nothing: while the hand-over waits, kick again,
        # backing off to _REKICK_MS.
        now = time.ticks_ms()
        if kick:
            rekick = 2
        elif not waiting:
            rekick = 0
        elif time.ticks_diff(now, kicked) >= rekick:
            kick = True
            rekick = min(rekick * 2, _REKICK_MS)
        if kick:
            kicked = now
        if _acked[0] >= 0:  # the hub only needs the highest (a change waits for its own)
            send(evt, json.dumps({"a": _acked[0], "k": 1 if kick else 0}).encode() + b"\n")
            _acked[0] = -1
            kick = False
        if kick:
            send(evt, b'{"k":1}\n')


def _event_thread(evt):
    try:
        _events(evt)
    except Exception as e:  # report, never crash the board silently
        print("machine: hardware event thread stopped:", repr(e))


_thread.start_new_thread(_event_thread, (_connect("evt", {"session": info["session"]}),))
