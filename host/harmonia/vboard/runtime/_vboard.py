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


def _mount(con):
    """Flash at /, each host import directory read-only at /.hmN; returns the import path."""
    runtime = _vrepl._RUNTIME.rstrip("/")
    dirs = [d for d in (os.getenv("MICROPYPATH") or "").split(":") if d and d != runtime]
    fs = None
    try:
        dev = FileBlockDevice(os.getenv("HM_FLASH"), int(os.getenv("HM_FLASH_BLOCK") or 4096))
        fs = vfs.VfsLfs2(dev)
    except (OSError, TypeError) as e:
        fs = e
    vfs.umount("/")
    if not isinstance(fs, Exception):
        try:
            vfs.mount(fs, "/")
        except OSError as e:
            fs = e
    if isinstance(fs, Exception):
        con.notify(b"F")
        con.write(b"\r\nflash image cannot be mounted (" + repr(fs).encode() + b")\r\n")
    path = ["", ".frozen"]
    for i, d in enumerate(dirs):
        point = "/.hm" + str(i)
        try:
            vfs.mount(vfs.VfsPosix(d), point, readonly=True)
            path.append(point)
        except OSError:
            pass
    path.append("/lib")
    os.chdir("/")
    return path


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
