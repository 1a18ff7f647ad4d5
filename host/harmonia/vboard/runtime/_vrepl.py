# mypy: ignore-errors
# (MicroPython code for the unix port: host mypy does not apply to it)
# The REPL of a virtual board, written for the MicroPython unix port, which has no raw REPL.
# It speaks what a board's pyexec does on its UART: the friendly REPL (echo, continuation
# lines, paste mode), the raw REPL (Ctrl-A ... Ctrl-D, OK, output, 0x04, error, 0x04, >),
# raw-paste mode with window flow control, and Ctrl-B / Ctrl-D (soft reset).
#
# The supervisor turns a Ctrl-C into SIGINT only while user code runs; the run-state bytes
# written here tell it which applies ("X" running, "I" idle in the REPL) and which REPL a
# soft reset returns to ("r" raw, "f" friendly).
import io
import select
import sys

from micropython import const

_CTRL_A = const(1)
_CTRL_B = const(2)
_CTRL_C = const(3)
_CTRL_D = const(4)
_CTRL_E = const(5)
_ESC = const(27)
_WINDOW = const(512)  # raw-paste flow-control window; the host may send two before a credit

# What a REPL loop returns to the boot code.
RAW = "raw"
FRIENDLY = "friendly"
SOFT = "soft"
HARD = "hard"

_HARD_RESET = object()  # SystemExit(_HARD_RESET) asks for a hard reset
_RUNTIME = __file__.rsplit("/", 1)[0] + "/"
_COMPOUND = ("if", "while", "for", "try", "with", "def", "class", "async", "match")


class Console:
    """Console bytes in (non-blocking fd, read no further than the protocol allows) and out."""

    def __init__(self, in_fd, state_fd):
        self._in = open(in_fd, "rb")  # noqa: SIM115 - the console lives as long as we do
        self._poll = select.poll()
        self._poll.register(in_fd, select.POLLIN)
        self._state = open(state_fd, "wb")  # noqa: SIM115
        self._pend = b""
        self.after_cr = False  # a LF right after a CR is the same line end
        self.write = sys.stdout.buffer.write

    def notify(self, b):
        self._state.write(b)

    def read(self, n):
        """1..n bytes of input; waits for the first. A stray interrupt reads as Ctrl-C."""
        p = self._pend
        if p:
            self._pend = p[n:]
            return p[:n]
        try:
            while True:
                b = self._in.read(n)
                if b:
                    return b
                if b is not None:
                    raise EOFError
                self._poll.poll(-1)
        except KeyboardInterrupt:
            return b"\x03"

    def unread(self, b):
        if b:
            self._pend = bytes(b) + self._pend


def hard_reset():
    raise SystemExit(_HARD_RESET)


def _cooked(s):
    return s.replace("\n", "\r\n")


def install_print():
    """print() and REPL echo emit CR LF like a board's console; other writes stay binary."""
    import builtins

    orig = builtins.print
    stdout = sys.stdout

    def board_print(*args, sep=" ", end="\n", file=None, flush=False):
        if file is not None and file is not stdout:
            orig(*args, sep=sep, end=end, file=file)
            return
        if sep is None:
            sep = " "
        if end is None:
            end = "\n"
        stdout.write(_cooked(sep.join([str(a) for a in args]) + end))

    def repl_print(value):
        if value is not None:
            stdout.write(_cooked(repr(value) + "\n"))

    builtins.print = board_print
    builtins.__repl_print__ = repl_print


def _traceback(e):
    buf = io.StringIO()
    sys.print_exception(e, buf)
    lines = [ln for ln in buf.getvalue().split("\n") if _RUNTIME not in ln]
    return "\r\n".join(lines).encode()


def run(con, g, src, name="<stdin>", raw=False, single=False):
    """Compile and run user code in the board's globals; SOFT or HARD if it asked for a reset."""
    err = None
    reset = None
    try:
        try:
            con.notify(b"X")  # from here a Ctrl-C arrives as KeyboardInterrupt
            exec(compile(src, name, "single" if single else "exec"), g)
        finally:
            con.notify(b"I")
    except SystemExit as e:
        reset = HARD if e.args and e.args[0] is _HARD_RESET else SOFT
    except BaseException as e:  # noqa: B036 - a REPL reports everything, KeyboardInterrupt too
        err = e
    tail = b"" if err is None else _traceback(err)
    con.write(b"\x04" + tail + b"\x04" if raw else tail)
    return reset


def run_file(con, g, name):
    """Run boot.py or main.py from flash if it is there, like pyexec_file_if_exists."""
    try:
        with open(name) as f:
            src = f.read()
    except OSError:
        return None
    g["__file__"] = name
    return run(con, g, src, name=name)


# ---- raw REPL -------------------------------------------------------------------------


def raw_repl(con, g):
    con.notify(b"r")
    con.write(b"raw REPL; CTRL-B to exit\r\n>")
    line = bytearray()
    while True:
        chunk = con.read(256)
        for i in range(len(chunk)):
            c = chunk[i]
            if c > _CTRL_E:
                line.append(c)
            elif c == _CTRL_A:
                if len(line) == 2 and line[0] == _CTRL_E:
                    con.unread(chunk[i + 1 :])
                    r = _raw_paste(con, g, line[1])
                    if r:
                        return r
                    line = bytearray()
                    con.write(b">")
                    break
                line = bytearray()
                con.write(b"raw REPL; CTRL-B to exit\r\n>")
            elif c == _CTRL_B:
                con.unread(chunk[i + 1 :])
                con.write(b"\r\n")
                return FRIENDLY
            elif c == _CTRL_C:
                line = bytearray()
            elif c == _CTRL_D:
                con.write(b"OK")
                if not line:
                    con.write(b"\r\n")
                    return SOFT
                con.unread(chunk[i + 1 :])
                r = run(con, g, bytes(line), raw=True)
                if r:
                    return r
                line = bytearray()
                con.write(b">")
                break
            else:
                line.append(c)


def _raw_paste(con, g, cmd):
    if cmd != ord("A"):
        con.write(b"R\x00")
        return None
    con.write(b"R\x01" + bytes((_WINDOW & 0xFF, _WINDOW >> 8, 1)))
    src = bytearray()
    allowed = 2 * _WINDOW  # bytes the host may send before the next credit
    until_credit = _WINDOW
    while True:
        chunk = con.read(allowed + 1)
        end = len(chunk)
        for ctrl in (b"\x03", b"\x04"):
            k = chunk.find(ctrl)
            if 0 <= k < end:
                end = k
        src.extend(chunk[:end])
        allowed -= end
        until_credit -= end
        while until_credit <= 0:
            con.write(b"\x01")
            until_credit += _WINDOW
            allowed += _WINDOW
        if end < len(chunk):
            con.unread(chunk[end + 1 :])
            con.write(b"\x04")
            if chunk[end] == _CTRL_C:
                con.write(b"\x04KeyboardInterrupt: \r\n\x04")
                return None
            return run(con, g, bytes(src), raw=True)


# ---- friendly REPL --------------------------------------------------------------------


def banner(con):
    ver = sys.version.split("; ", 1)[-1]
    con.write(ver.encode() + b"; " + _machine().encode() + b"\r\n")
    con.write(b'Type "help()" for more information.\r\n')


def _machine():
    import os

    return os.getenv("HM_MACHINE") or "Harmonia virtual board with unix"


def _readline(con, prompt, history):
    """One edited line: (control char or None, text). Enter echoes CR LF."""
    con.write(prompt)
    line = bytearray()
    hist = len(history)
    while True:
        c = con.read(1)[0]
        after_cr = con.after_cr
        con.after_cr = c == 13
        if c == 10 and after_cr:
            continue
        if c in (10, 13):
            con.write(b"\r\n")
            text = line.decode()
            if text.strip() and (not history or history[-1] != text):
                history.append(text)
                if len(history) > 20:
                    history.pop(0)
            return None, text
        if c == _CTRL_C:
            return _CTRL_C, ""
        if c in (_CTRL_A, _CTRL_B, _CTRL_D, _CTRL_E):
            if not line:
                return c, ""
        elif c in (8, 127):
            if line:
                line.pop()
                con.write(b"\x08 \x08")
        elif c == _ESC:
            key = _escape(con)
            if key in (b"A", b"B") and history:
                hist = max(0, hist - 1) if key == b"A" else min(len(history), hist + 1)
                new = history[hist].encode() if hist < len(history) else b""
                con.write(b"\x08 \x08" * len(line) + new)
                line = bytearray(new)
        elif c >= 32 or c == 9:
            line.append(c)
            con.write(bytes((c,)))


def _escape(con):
    """Swallow an escape sequence; returns its final byte (arrow keys: A B C D)."""
    c = con.read(1)
    if c not in (b"[", b"O"):
        return c
    while True:
        c = con.read(1)
        if 0x40 <= c[0] <= 0x7E:
            return c


def _open_brackets(src):
    depth = 0
    quote = None
    i = 0
    n = len(src)
    while i < n:
        ch = src[i]
        if quote:
            if ch == "\\":
                i += 2
                continue
            if src.startswith(quote, i):
                i += len(quote)
                quote = None
                continue
            if ch == "\n" and len(quote) == 1:
                quote = None
        elif ch == "#":
            k = src.find("\n", i)
            i = n if k < 0 else k
            continue
        elif ch in "'\"":
            quote = src[i : i + 3] if src[i : i + 3] in ('"""', "'''") else ch
            i += len(quote)
            continue
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        i += 1
    return depth > 0 or (quote is not None and len(quote) == 3) or src.endswith("\\")


def _compound(src):
    first = src.lstrip()
    word = first.split(None, 1)[0].rstrip(":") if first else ""
    return word in _COMPOUND or first.startswith("@") or src.rstrip().endswith(":")


def friendly_repl(con, g, show_banner=True):
    con.notify(b"f")
    if show_banner:
        banner(con)
    history = []
    while True:
        ctrl, text = _readline(con, b">>> ", history)
        if ctrl == _CTRL_A:
            con.write(b"\r\n")
            return RAW
        if ctrl == _CTRL_B:
            con.write(b"\r\n")
            banner(con)
            continue
        if ctrl == _CTRL_C:
            con.write(b"\r\n")
            continue
        if ctrl == _CTRL_D:
            con.write(b"\r\n")
            return SOFT
        if ctrl == _CTRL_E:
            src = _paste_mode(con)
            if src is not None:
                r = run(con, g, src)
                if r:
                    return r
            continue
        if not text.strip():
            continue
        src = text
        compound = _compound(src)
        while compound or _open_brackets(src):
            ctrl, more = _readline(con, b"... ", history)
            if ctrl == _CTRL_C:
                con.write(b"\r\n")
                src = None
                break
            if ctrl == _CTRL_D or (compound and not more.strip() and not _open_brackets(src)):
                break
            src += "\n" + more
        if src is not None:
            r = run(con, g, src, single=True)
            if r:
                return r


def _paste_mode(con):
    con.write(b"\r\npaste mode; Ctrl-C to cancel, Ctrl-D to finish\r\n=== ")
    buf = bytearray()
    while True:
        c = con.read(1)[0]
        after_cr = con.after_cr
        con.after_cr = c == 13
        if c == 10 and after_cr:
            continue
        if c == _CTRL_C:
            con.write(b"\r\n")
            return None
        if c == _CTRL_D:
            con.write(b"\r\n")
            return buf.decode()
        if c in (10, 13):
            buf.append(10)
            con.write(b"\r\n=== ")
        else:
            buf.append(c)
            con.write(bytes((c,)))
