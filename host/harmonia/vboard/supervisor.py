"""One virtual board's supervisor process: `python -m harmonia.vboard.supervisor BOARD_DIR`.

It owns the board's console (console.ConsoleBridge: the pty, the baud throttle, the
transcript), its hardware hub and its MicroPython process (the unix port running
runtime/_vstart.py); it turns a Ctrl-C into SIGINT while user code runs, restarts
MicroPython on a soft or hard reset, keeps its state in state.json, and answers reset
and status requests on an abstract unix socket (`control` in state.json), one JSON line
each way. SIGTERM, the end of the --lifeline-fd pipe, or the end of the --ready-fd pipe
before the board has booted (its starter gave up) stops it and the board. It imports
harmonia.sim, so clients attach the simulated chips (mcp9808, sht31d, bme280, ssd1306)
to the board's buses by model name.

Environment of the MicroPython process (besides the hardware hub's own variables):
    HM_BOARD       board name              HM_PROFILE   board profile name
    HM_ADDR        its 127.0.0.x address   HM_FLASH     flash image path
    HM_FLASH_BLOCK flash block size        HM_REPL      "friendly" or "raw" at boot
    HM_MACHINE     REPL banner text        HM_IN_FD / HM_STATE_FD  console input, run state
    MICROPYPATH    hardware runtime, this package's runtime/, then the firmware directory
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import hashlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from .. import sim  # noqa: F401 - registers the chip models with this process's hub
from .console import ConsoleBridge
from .hw import HardwareHub
from .state import BOARD_SCRIPT, BoardConfig, BoardDir, BoardState, Crash, write_atomic

RUNTIME = Path(__file__).resolve().parent / "runtime"
EXIT_SOFT_FRIENDLY = 64  # exit codes of runtime/_vboard.py
EXIT_SOFT_RAW = 65
EXIT_HARD = 66

_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)


def _die_with_parent() -> None:
    """In the child before exec: the kernel kills it if the supervisor goes."""
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def control_name(bd: BoardDir) -> str:
    digest = hashlib.sha1(str(bd.root.resolve()).encode()).hexdigest()[:20]
    return f"\0harmonia-vboard-{digest}"


class Supervisor:
    def __init__(self, bd: BoardDir, ready_fd: int | None, lifeline_fd: int | None) -> None:
        self.bd = bd
        self.cfg = BoardConfig.load(bd.config)
        self.ready_fd = ready_fd
        self.lifeline = lifeline_fd
        self.log = open(bd.supervisor_log, "a", buffering=1, encoding="utf-8")  # noqa: SIM115
        self.console = ConsoleBridge(bd.console_log, self.cfg.baud, self.interrupt)
        self.st_r, self.st_w = os.pipe()  # run state from the child (runtime/_vrepl.py)
        os.set_blocking(self.st_r, False)
        self.sig_r, self.sig_w = os.pipe()
        os.set_blocking(self.sig_w, False)
        self.reset_r, self.reset_w = os.pipe()  # the hub's thread asks for a hard reset
        os.set_blocking(self.reset_r, False)
        self.child: subprocess.Popen[bytes] | None = None
        self.pidfd = -1
        self.mode = "friendly"
        self.status = "starting"
        self.boots = 0
        self.crash: Crash | None = None
        self.started = time.time()
        self.waiting: list[socket.socket] = []
        self.stopping = False
        self.control = control_name(bd)
        self.ctl = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.ctl.bind(self.control)
        self.ctl.listen(8)
        self.ctl.setblocking(False)
        self.hub = HardwareHub(
            name=self.cfg.name, profile=self.cfg.profile_data or None, state_dir=bd.hw
        )
        self.hub.on_reset = self.request_hard_reset
        self.hub.start()

    def request_hard_reset(self) -> None:
        """From a hub thread: the main loop restarts the child (hard reset, watchdog)."""
        os.write(self.reset_w, b"!")

    # ---- the MicroPython process ----------------------------------------------------

    def spawn(self, mode: str) -> None:
        cfg = self.cfg
        path = [str(self.hub.runtime_dir()), str(RUNTIME), cfg.firmware_dir]
        env = dict(os.environ)
        env.update(self.hub.child_env())
        env.update(
            HM_BOARD=cfg.name,
            HM_PROFILE=cfg.profile,
            HM_ADDR=cfg.address,
            HM_FLASH=str(self.bd.flash),
            HM_FLASH_BLOCK=str(cfg.fs_block_size),
            HM_IN_FD=str(self.console.in_nb),
            HM_STATE_FD=str(self.st_w),
            HM_REPL=mode,
            HM_MACHINE=cfg.machine,
            MICROPYPATH=":".join(path),
        )
        self.child = subprocess.Popen(
            [cfg.micropython, "-X", f"heapsize={cfg.heap}", str(RUNTIME / BOARD_SCRIPT)],
            stdin=self.console.in_r,
            stdout=self.console.out_w,
            stderr=self.console.out_w,
            pass_fds=(self.console.in_nb, self.st_w),
            env=env,
            preexec_fn=_die_with_parent,
        )
        self.pidfd = os.pidfd_open(self.child.pid)
        self.console.busy = False
        self.mode = mode
        self.boots += 1
        self.event(f"boot {self.boots}: MicroPython pid {self.child.pid} ({mode} REPL)")

    def kill_child(self) -> None:
        if self.child is None:
            return
        self.child.kill()
        self.child.wait()
        self.child_gone()

    def child_gone(self) -> None:
        os.close(self.pidfd)
        self.pidfd = -1
        self.child = None
        self.console.busy = False
        self.console.read_output()
        self.read_states()

    def child_exited(self) -> None:
        assert self.child is not None
        code = self.child.wait()
        self.child_gone()
        if code in (EXIT_SOFT_FRIENDLY, EXIT_SOFT_RAW):
            self.hub.note_reset("soft")
            self.spawn("raw" if code == EXIT_SOFT_RAW else "friendly")
        elif code == EXIT_HARD:
            self.hub.note_reset("hard")
            self.hard_restart()
        else:
            self.crashed(code)

    def crashed(self, code: int) -> None:
        output = bytes(self.console.tail).decode("utf-8", "replace")
        self.crash = Crash(
            exit_code=code if code >= 0 else None,
            signal=-code if code < 0 else None,
            output=output,
            time=time.time(),
        )
        self.status = "crashed"
        self.event(f"crash: {self.crash.describe()}; last console output:\n{output}")
        if self.ready_fd is not None:
            self.report_ready({"ok": False, "error": self.crash.describe(), "output": output})
            self.stopping = True
            return
        self.write_state()
        self.answer_waiting({"ok": False, "error": self.crash.describe(), "output": output})
        self.console.emit(
            f"\r\n[harmonia] board {self.cfg.name} crashed: {self.crash.describe()}; "
            "`harmonia vboard reset` restarts it\r\n".encode()
        )

    def hard_restart(self) -> None:
        self.kill_child()
        self.console.drop_input()  # what was typed went with the old process
        self.spawn("friendly")

    def booted(self) -> None:
        self.crash = None
        self.status = "running"
        self.write_state()
        if self.ready_fd is not None:
            self.report_ready({"ok": True})
        self.answer_waiting({"ok": True})

    def interrupt(self) -> None:
        if self.child is not None:
            self.child.send_signal(signal.SIGINT)

    def read_states(self) -> None:
        try:
            states = os.read(self.st_r, 4096)
        except BlockingIOError:
            return
        for b in states:
            if b == ord("X"):
                self.console.busy = True
            elif b == ord("I"):
                self.console.busy = False
            elif b == ord("r"):
                self.mode = "raw"
            elif b == ord("f"):
                self.mode = "friendly"
            elif b == ord("B"):
                self.booted()
            elif b == ord("F"):
                self.event("the flash image did not mount")

    # ---- control ----------------------------------------------------------------------

    def accept_control(self) -> None:
        try:
            conn, _ = self.ctl.accept()
        except BlockingIOError:
            return
        conn.settimeout(2.0)
        try:
            line = conn.makefile("rb").readline()
            request = json.loads(line)
            cmd = request.get("cmd")
            if cmd == "status":
                self.reply(conn, {"ok": True, "state": json.loads(self.state().to_json())})
            elif cmd == "reset":
                hard = bool(request.get("hard", True))
                self.event(f"{'hard' if hard else 'soft'} reset requested")
                self.waiting.append(conn)
                self.hub.note_reset("hard" if hard else "soft")
                if hard:
                    self.hard_restart()
                else:
                    mode = self.mode
                    self.kill_child()
                    self.console.emit(b"MPY: soft reboot\r\n")
                    self.spawn(mode)
            else:
                self.reply(conn, {"ok": False, "error": f"unknown request {cmd!r}"})
        except (OSError, ValueError, AttributeError) as exc:
            self.reply(conn, {"ok": False, "error": str(exc)})

    def reply(self, conn: socket.socket, answer: dict[str, Any]) -> None:
        with contextlib.suppress(OSError):
            conn.sendall(json.dumps(answer).encode() + b"\n")
        conn.close()

    def answer_waiting(self, answer: dict[str, Any]) -> None:
        for conn in self.waiting:
            self.reply(conn, answer)
        self.waiting.clear()

    def report_ready(self, answer: dict[str, Any]) -> None:
        if self.ready_fd is None:
            return
        with contextlib.suppress(OSError):
            os.write(self.ready_fd, json.dumps(answer).encode() + b"\n")
        os.close(self.ready_fd)
        self.ready_fd = None

    # ---- state and logs ---------------------------------------------------------------

    def state(self) -> BoardState:
        return BoardState(
            name=self.cfg.name,
            profile=self.cfg.profile,
            status=self.status,
            pid=os.getpid(),
            child_pid=self.child.pid if self.child else None,
            port=self.console.pty.port,
            address=self.cfg.address,
            flash=str(self.bd.flash),
            baud=self.cfg.baud,
            control=self.control,
            started=self.started,
            boots=self.boots,
            crash=self.crash,
        )

    def write_state(self) -> None:
        write_atomic(self.bd.state, self.state().to_json())

    def event(self, text: str) -> None:
        self.log.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {self.cfg.name}: {text}\n")

    # ---- the loop ---------------------------------------------------------------------

    def run(self) -> int:
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self.on_signal)
        signal.set_wakeup_fd(self.sig_w)
        self.event(f"start: port {self.console.pty.port}, address {self.cfg.address}")
        try:
            self.spawn("friendly")
            while not self.stopping:
                self.step()
        except Exception:
            self.event("supervisor failed:\n" + traceback.format_exc())
            self.report_ready({"ok": False, "error": "supervisor failed; see supervisor.log"})
            return 1
        finally:
            self.shutdown()
        return 0

    def on_signal(self, signum: int, frame: object) -> None:
        self.stopping = True

    def step(self) -> None:
        p = select.poll()
        for fd in (self.sig_r, self.st_r, self.ctl.fileno(), self.reset_r):
            p.register(fd, select.POLLIN)
        if self.lifeline is not None:
            p.register(self.lifeline, select.POLLIN)
        if self.ready_fd is not None:  # POLLERR: whoever starts us is gone before we booted
            p.register(self.ready_fd, 0)
        if self.child is not None:
            p.register(self.pidfd, select.POLLIN)
        timeout = self.console.register(p)
        ready = dict(p.poll(None if timeout is None else max(1, int(timeout * 1000) + 1)))
        if self.sig_r in ready:
            os.read(self.sig_r, 64)
        if self.lifeline is not None and self.lifeline in ready and not os.read(self.lifeline, 64):
            self.event("owner gone")
            self.stopping = True
        if self.ready_fd is not None and self.ready_fd in ready:
            self.event("the starting process went away before the board booted")
            self.stopping = True
        if self.st_r in ready:  # before console input: it decides what a Ctrl-C is
            self.read_states()
        self.console.handle(ready)
        if self.child is not None and self.pidfd in ready:
            self.child_exited()
        if self.reset_r in ready:  # the hub already noted the cause (reset, watchdog)
            os.read(self.reset_r, 64)
            self.event("hard reset requested by the board")
            self.hard_restart()
        if self.ctl.fileno() in ready:
            self.accept_control()

    def shutdown(self) -> None:
        try:
            self.kill_child()
        finally:
            self.hub.stop()
            self.answer_waiting({"ok": False, "error": "the board stopped"})
            self.bd.state.unlink(missing_ok=True)
            self.console.close()
            self.ctl.close()
            self.event("stopped")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harmonia.vboard.supervisor")
    parser.add_argument("board_dir", type=Path)
    parser.add_argument("--ready-fd", type=int, default=None)
    parser.add_argument("--lifeline-fd", type=int, default=None)
    args = parser.parse_args(argv)
    return Supervisor(BoardDir(args.board_dir), args.ready_fd, args.lifeline_fd).run()


if __name__ == "__main__":
    sys.exit(main())
