# Deployed versions on the board's filesystem (layout and wire format: docs/deploy.md).
#
# /boot.py calls activate() to put the current version (and its lib/, where the CircuitPython
# layer and drivers live) first on sys.path. `harmonia deploy`
# sends this file's source over the raw REPL and runs receive() to stage a new version and
# switch to it with one atomic rename. A copy lives outside every version, as
# /app/deployed.mpy, so a board boots whichever version /app/current names: a board cut off
# mid-deploy boots the version it had.
import io
import os
import sys

from micropython import const

ROOT = "/app"
POINTER = "/app/current"
MANIFEST = ".manifest"
LIB = "/lib"  # a version's folder of top-level modules (busio, drivers), as a board's /lib
PINS = "/lib/_boardpins.py"  # the board's pin table, written per board, outside versions
STAGE = ".new-"  # prefix of a version being received: never booted, removed by begin()
_KEEP = ("current", "current.new", "deployed.mpy")
_DIR = const(0x4000)
_ESC = const(0x10)
_ACK = b"\x06"
_NAK = b"\x15"
_CHUNK = const(512)

CURRENT = None  # the version activate() put on sys.path


def current():
    """Name of the active version, or None. current.new counts only while current is
    missing: on FAT, where a rename cannot replace a file, the switch removes it first."""
    for path in (POINTER, POINTER + ".new"):
        try:
            with open(path) as f:
                name = f.read().strip()
        except OSError:
            continue
        if name and _isdir(ROOT + "/" + name):
            return name
    return None


def activate(purge=True):
    """Put the current version first on sys.path, then its lib/ (before the board's own
    /lib), in place of any other version. With `purge` (at boot), forget `hm` modules
    imported before, so they load from it."""
    global CURRENT
    name = current()
    if name is not None:
        path = ROOT + "/" + name
        sys.path[:] = [p for p in sys.path if not p.startswith(ROOT + "/")]
        sys.path.insert(0, path + LIB)
        sys.path.insert(0, path)
        if purge:
            for mod in [m for m in sys.modules if m == "hm" or m.startswith("hm.")]:
                del sys.modules[mod]
    CURRENT = name
    return name


def running():
    """The version imports come from now: the first version directory on sys.path."""
    for p in sys.path:
        if p.startswith(ROOT + "/"):
            return p[len(ROOT) + 1 :]
    return None


def path(name):
    """Where a data file of the running version is: open(deployed.path("cfg.json"))."""
    return ROOT + "/" + str(running() or current()) + "/" + name


def _isdir(path):
    try:
        return os.stat(path)[0] & _DIR != 0
    except OSError:
        return False


def _rm(path):
    """Remove a file or a whole tree; a missing path is not an error."""
    if _isdir(path):
        for name in [e[0] for e in os.ilistdir(path)]:
            _rm(path + "/" + name)
        os.rmdir(path)
        return
    try:  # noqa: SIM105 - no contextlib on the board
        os.remove(path)
    except OSError:
        pass


def makedirs(path):
    """Make the directories above file `path`."""
    i = path.find("/", 1)
    while i > 0:
        try:  # noqa: SIM105
            os.mkdir(path[:i])
        except OSError:
            pass
        i = path.find("/", i + 1)


def _swap(new, path):
    """Replace `path` by `new`: one atomic rename on littlefs; FAT renames only onto a
    free name, so there the old file goes first."""
    try:
        os.rename(new, path)
    except OSError:
        os.remove(path)
        os.rename(new, path)


def begin(version, need):
    """Clear everything under ROOT but the current version, check there is room for
    `need` bytes, and make the stage directory of `version`; returns its path."""
    keep = current()
    if version == keep:
        raise ValueError("version " + version + " is already current")
    try:  # noqa: SIM105
        os.mkdir(ROOT)
    except OSError:
        pass
    for name in [e[0] for e in os.ilistdir(ROOT)]:
        if name != keep and name not in _KEEP:
            _rm(ROOT + "/" + name)
    st = os.statvfs(ROOT)
    free = st[0] * st[3]
    if need > free:
        raise OSError(28, "needs " + str(need) + " bytes, " + str(free) + " free")
    stage = ROOT + "/" + STAGE + version
    os.mkdir(stage)
    return stage


def commit(version, roots=()):
    """Make the staged `version` current: move it into place, replace the files outside
    the versions (each staged as PATH.new), then flip the pointer, the one switching step."""
    if version:
        os.rename(ROOT + "/" + STAGE + version, ROOT + "/" + version)
    for path in roots:
        _swap(path + ".new", path)
    if version:
        with open(POINTER + ".new", "w") as f:
            f.write(version)
        _swap(POINTER + ".new", POINTER)


def abort(version, roots=()):
    """Drop what a failed deploy staged; the current version is untouched."""
    if version:
        _rm(ROOT + "/" + STAGE + version)
    for path in roots:
        _rm(path + ".new")


def _digest(path):
    """First 16 hex digits of the file's SHA-256, or None if it is missing."""
    try:
        import binascii
        import hashlib

        h = hashlib.sha256()
        buf = bytearray(_CHUNK)
        with open(path, "rb") as f:
            while True:
                n = f.readinto(buf)
                if not n:
                    break
                h.update(memoryview(buf)[:n])
        return binascii.hexlify(h.digest()[:8]).decode()
    except (ImportError, OSError):
        return None


def _has(module):
    try:
        __import__(module)
        return True
    except ImportError:
        return False


def info():
    """What the host needs before a deploy."""
    import gc

    gc.collect()
    st = os.statvfs(ROOT if _isdir(ROOT) else "/")
    boot = None  # no /boot.py
    try:
        with open("/boot.py") as f:
            text = f.read()
        if "harmonia deploy" in text.split("\n", 1)[0]:
            boot = "ours"
        else:
            boot = "activates" if "activate(" in text else "other"
    except OSError:
        pass
    impl = sys.implementation
    return {
        "version": current(),
        "mpy": getattr(impl, "_mpy", 0),
        "machine": getattr(impl, "_machine", ""),
        "free": st[0] * st[3],
        "block": st[0],
        "deflate": _has("deflate"),
        "sha": _has("hashlib") and _has("binascii"),
        "boot": _digest("/boot.py"),
        "boot_kind": boot,
        "bootstrap": _digest(ROOT + "/deployed.mpy"),
        "pins": _digest(PINS),
        "mem": gc.mem_free(),
    }


def status():
    """Print info() as a Python literal (for the serial REPL)."""
    print(repr(info()))


def manifest_text():
    """The current version's manifest (JSON text), or None."""
    name = current()
    if name is None:
        return None
    try:
        with open(ROOT + "/" + name + "/" + MANIFEST) as f:
            return f.read()
    except OSError:
        return None


def manifest():
    """Print the current version's manifest, or nothing."""
    sys.stdout.write(manifest_text() or "")


# ---- the serial stream --------------------------------------------------------------


def _read(inp, n):
    """Exactly n bytes of console input."""
    buf = bytearray(n)
    mv = memoryview(buf)
    got = 0
    while got < n:
        k = inp.readinto(mv[got:])
        if not k:
            raise OSError(5, "console input ended")
        got += k
    return buf


def _unescape(data):
    # 0x10 leads a pair: 0x11 stands for 0x10, 0x12 for Ctrl-C, 0x13 for Ctrl-D.
    return (
        data.replace(b"\x10\x12", b"\x03")
        .replace(b"\x10\x13", b"\x04")
        .replace(b"\x10\x11", b"\x10")
    )


class _Payload(io.IOBase):
    """The files' bytes: escaped on the console, acknowledged window by window. A stream,
    so that deflate.DeflateIO can read it."""

    def __init__(self, inp, out, window, size):
        self.inp = inp
        self.out = out
        self.window = window
        self.left = size  # bytes still on the console
        self.buf = b""
        self.carry = b""

    def readinto(self, b):
        while not self.buf:
            if not self.left:
                return 0
            n = min(self.window, self.left)
            data = _read(self.inp, n)
            self.left -= n
            self.out.write(_ACK)
            if self.carry:
                data = self.carry + data
                self.carry = b""
            if data[-1] == _ESC:  # a pair cut by the window edge
                self.carry = data[-1:]
                data = data[:-1]
            self.buf = _unescape(data)
        n = min(len(b), len(self.buf))
        b[:n] = self.buf[:n]
        self.buf = self.buf[n:]
        return n


def _receive_file(src, dest, length, sha):
    """Write the next `length` bytes from `src` (a readinto) to `dest`, and check them
    against the digest `sha` (b"-": none)."""
    h = None
    if sha != b"-":
        import hashlib

        h = hashlib.sha256()
    buf = bytearray(_CHUNK)
    mv = memoryview(buf)
    left = length
    makedirs(dest)
    with open(dest, "wb") as f:
        while left:
            n = src(mv[: min(_CHUNK, left)])
            if not n:
                raise ValueError(dest + ": the stream ended " + str(left) + " bytes early")
            f.write(mv[:n])
            if h is not None:
                h.update(mv[:n])
            left -= n
    if h is not None:
        import binascii

        if binascii.hexlify(h.digest()[:8]) != sha:
            raise ValueError(dest + ": corrupted in transit (SHA-256 differs)")


def _receive_files(inp, out, window, head, files):
    """`P SIZE WBITS`: every listed file's bytes, in order, as SIZE escaped bytes (one raw
    deflate stream when WBITS is not 0)."""
    payload = _Payload(inp, out, window, int(head[1]))
    src = payload.readinto
    if head[2] != b"0":
        import deflate

        src = deflate.DeflateIO(payload, deflate.RAW, int(head[2])).readinto
    for dest, length, sha in files:
        _receive_file(src, dest, length, sha)
    buf = bytearray(_CHUNK)
    while payload.readinto(buf):  # the stream's end marker
        pass


def copy(src, dest):
    makedirs(dest)
    buf = bytearray(_CHUNK)
    mv = memoryview(buf)
    with open(src, "rb") as a, open(dest, "wb") as b:
        while True:
            n = a.readinto(buf)
            if not n:
                break
            b.write(mv[:n])


def _fail(e):
    if isinstance(e, OSError) and e.args:
        print("ERR", e.args[0], str(e))  # "[Errno 28] ENOSPC", or the message given
    else:
        print("ERR", 0, repr(e))


def receive(version, need, window):
    """Stage `version` from the console stream and switch to it (docs/deploy.md).

    Answers 0x06 (go) or 0x15 (refused, then the reason); then reads one message at a
    time, each acknowledged with 0x06: `K PATH` keeps a file of the current version,
    `F LEN SHA PATH` lists a file to receive, `P SIZE WBITS` is followed by the listed
    files' bytes (SIZE escaped bytes in windows of `window`; one raw deflate stream when
    WBITS is not 0), `D` ends. An error answers 0x15 instead, drops the stage and waits
    for 0x04.
    Prints `OK VERSION`, or `ERR ERRNO TEXT` after an error.
    """
    inp = sys.stdin.buffer
    out = sys.stdout.buffer
    old = current()
    roots = []
    stage = ROOT + "/" + STAGE + str(version)
    try:
        if version:
            begin(version, need)
    except Exception as e:  # noqa: BLE001 - every refusal goes to the host
        out.write(_NAK)
        _fail(e)
        return
    out.write(_ACK)
    files: list = []
    try:
        while True:
            line = inp.readline().strip()
            out.write(_ACK)
            head = line.split(None, 1 if line[:1] == b"K" else 3)
            op = head[0]
            if op == b"D":
                break
            if op == b"P":
                _receive_files(inp, out, window, head, files)
                files = []
                continue
            path = head[-1].decode()
            if path[0] == "/":
                roots.append(path)
                dest = path + ".new"
            else:
                dest = stage + "/" + path
            if op == b"K":
                copy(ROOT + "/" + str(old) + "/" + path, dest)
            else:
                files.append((dest, int(head[1]), head[2]))
    except Exception as e:  # noqa: BLE001
        out.write(_NAK)
        while inp.read(1) not in (b"\x04", b""):
            pass
        abort(version, roots)
        _fail(e)
        return
    try:
        commit(version, roots)
    except Exception as e:  # noqa: BLE001
        abort(version, roots)
        _fail(e)
        return
    print("OK", version or old)
