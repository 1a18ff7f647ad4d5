# mypy: ignore-errors
# (MicroPython code for the unix port: host mypy does not apply to it)
# Boot of a virtual board (MicroPython side): mount the flash image at /, run boot.py and
# main.py, then serve the REPL. A reset ends this process with an exit code the supervisor
# reads: 64 soft reset (friendly REPL next), 65 soft reset (raw REPL next), 66 hard reset.
#
# Environment (set by the supervisor): HM_FLASH image path, HM_FLASH_BLOCK block size,
# HM_IN_FD / HM_STATE_FD console-input and run-state descriptors, HM_REPL "raw" or
# "friendly", HM_MACHINE banner text, MICROPYPATH the host directories to import from.
import os
import sys

import _vrepl
import vfs
from _vflash import FileBlockDevice

EXIT_SOFT_FRIENDLY = 64
EXIT_SOFT_RAW = 65
EXIT_HARD = 66

hard_reset = _vrepl.hard_reset


def soft_reset():
    raise SystemExit


class _Root:
    """The filesystem at /: the flash, plus the host's import directories, read-only, at
    /.hm0, /.hm1 ... which no listing shows (like a board's frozen modules)."""

    def __init__(self, flash, hidden):
        self._flash = flash
        self._hidden = hidden

    def _route(self, path):
        for point, fs in self._hidden:
            if path == point or path.startswith(point + "/"):
                return fs, path[len(point) :] or "/"
        if self._flash is None:
            raise OSError(19)  # ENODEV: the flash did not mount
        return self._flash, path

    def mount(self, readonly, mkfs):
        for _point, fs in self._hidden:
            fs.mount(True, False)
        if self._flash is not None:
            self._flash.mount(readonly, mkfs)

    def umount(self):
        if self._flash is not None:
            self._flash.umount()

    def getcwd(self):
        return self._flash.getcwd() if self._flash is not None else "/"

    def rename(self, old, new):
        fs, a = self._route(old)
        _fs, b = self._route(new)
        return fs.rename(a, b)


def _routed(op):
    def call(self, path, *args):
        fs, p = self._route(path)
        return getattr(fs, op)(p, *args)

    return call


for _op in ("ilistdir", "open", "stat", "statvfs", "chdir", "mkdir", "remove", "rmdir"):
    setattr(_Root, _op, _routed(_op))


def _mount(con):
    """Mount the flash image and the host import directories at /; returns sys.path."""
    runtime = _vrepl._RUNTIME.rstrip("/")
    dirs = [d for d in (os.getenv("MICROPYPATH") or "").split(":") if d and d != runtime]
    hidden = []
    for d in dirs:
        try:  # noqa: SIM105 - no contextlib on the board
            hidden.append(("/.hm" + str(len(hidden)), vfs.VfsPosix(d)))
        except OSError:
            pass
    flash = None
    try:
        dev = FileBlockDevice(os.getenv("HM_FLASH"), int(os.getenv("HM_FLASH_BLOCK") or 4096))
        flash = vfs.VfsLfs2(dev)
        flash.mount(False, False)
        flash.umount()
    except (OSError, TypeError) as e:
        flash = None
        con.notify(b"F")
        con.write(b"\r\nflash image cannot be mounted (" + repr(e).encode() + b")\r\n")
    vfs.umount("/")
    vfs.mount(_Root(flash, hidden), "/")
    os.chdir("/")
    return ["", ".frozen"] + [point for point, _fs in hidden] + ["/lib"]


def main(g):
    for k in list(g):
        if k != "__name__":
            del g[k]
    con = _vrepl.Console(int(os.getenv("HM_IN_FD")), int(os.getenv("HM_STATE_FD")))
    _vrepl.install_print()
    sys.path[:] = _mount(con)
    con.notify(b"B")
    mode = _vrepl.RAW if os.getenv("HM_REPL") == "raw" else _vrepl.FRIENDLY
    _vrepl.run_file(con, g, "boot.py")
    r = None
    if mode == _vrepl.FRIENDLY:
        r = _vrepl.run_file(con, g, "main.py")
    g.pop("__file__", None)
    failures = 0
    try:
        while not r:
            try:
                repl = _vrepl.raw_repl if mode == _vrepl.RAW else _vrepl.friendly_repl
                r = repl(con, g)
                failures = 0
            except (KeyboardInterrupt, MemoryError, OSError) as e:
                # A late interrupt or an exhausted heap inside the REPL itself: start it over.
                failures += 1
                if failures > 3:
                    raise
                con.write(b"\r\n" + _vrepl._traceback(e) + b"\r\n")
            if r in (_vrepl.RAW, _vrepl.FRIENDLY):
                mode = r
                r = None
    except EOFError:
        sys.exit(0)  # the supervisor closed the console: it is going away
    if r == _vrepl.HARD:
        sys.exit(EXIT_HARD)
    con.write(b"MPY: soft reboot\r\n")
    sys.exit(EXIT_SOFT_RAW if mode == _vrepl.RAW else EXIT_SOFT_FRIENDLY)
