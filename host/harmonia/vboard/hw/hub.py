"""The hardware hub of one virtual board.

It runs inside the board's supervisor, outlives the MicroPython child (which a
reset restarts) and listens on a unix socket, `<state_dir>/hw.sock`, for:
- the child: "ctl" (calls from board code), "evt" (events pushed to the child's
  event thread, acknowledged), "uart" (one raw byte stream per open UART);
- control clients (tests, the CLI) through `HardwareClient`;
- peer hubs forwarding a UART link ("peer").
docs/vboard-hw.md describes the protocol and why events travel this way.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import shutil
import signal
import socket
import struct
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import wire
from .board import Board, BoardError
from .control import ControlOps
from .devices import I2CDevice, SPIDevice
from .errors import HardwareError, HardwareRequestError, HardwareTimeoutError
from .facts import board_facts
from .uart import PeerLink

log = logging.getLogger(__name__)

RESET_EXIT_CODE = 66  # machine.reset() with no on_reset hook ends the child with this code
# (the supervisor's "hard reset" exit code, see runtime/_vboard.py)
KICK_SIGNAL = signal.SIGUSR2  # wakes the child's main thread out of a blocking call
# Heap that machine and network take on the board, with every peripheral in use; on a
# board they are firmware, so a supervisor adds this to the profile's -X heapsize.
RUNTIME_HEAP = 48 * 1024
ACK_TIMEOUT = 5.0  # seconds a host change waits for the child to take it in
RUNTIME_DIR = Path(__file__).resolve().parent / "runtime"  # the child's machine, network
PYSTART_DIR = Path(__file__).resolve().parent / "pystart"
CAUSES = {"power": 1, "hard": 2, "watchdog": 3, "deepsleep": 4, "soft": 5}


class Session:
    """One run of the MicroPython child, from its boot to its exit."""

    def __init__(self, sid: int, pid: int, kick: int, ctl: socket.socket) -> None:
        self.id = sid
        self.pid = pid
        self.kick = kick
        self.sockets = [ctl]
        self.evt: wire.Sender | None = None
        self.acked = 0
        self.closed = False

    def close(self) -> None:
        self.closed = True
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class HardwareHub(ControlOps):
    """Simulated pins and peripherals of one board, reachable by its child and by clients."""

    def __init__(self, name: str, profile: object | None, state_dir: Path) -> None:
        self.name = name
        self.state_dir = Path(state_dir)
        self.facts = board_facts(name, profile)
        self.board = Board(self.facts)
        self.cond = self.board.cond
        # Set by the supervisor: called (from a hub thread) when board code asks for a
        # hard reset or its watchdog runs out; it should restart the child process.
        self.on_reset: Callable[[], None] | None = None
        self.boots = 0
        self.cause = CAUSES["power"]
        self.session: Session | None = None
        self.links: dict[int, PeerLink] = {}
        self.links_made = 0
        self._next_cause: int | None = None
        self._next_id = 0
        self._server: socket.socket | None = None
        self._bind_path: str | None = None
        self._short_dir: str | None = None
        self._conns: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []

    # ---- the seam with the supervisor

    @property
    def socket_path(self) -> Path:
        return self.state_dir / "hw.sock"

    def runtime_dir(self) -> Path:
        """Directory with the child's machine.py and network.py (front of MICROPYPATH)."""
        return RUNTIME_DIR

    def child_env(self) -> dict[str, str]:
        """Environment the MicroPython child needs to reach this hub."""
        if self._bind_path is None:
            raise HardwareError(f"hardware hub of {self.name} is not started; call start() first")
        pythonpath = os.environ.get("PYTHONPATH")
        return {
            "HM_HW": self._bind_path,
            # pystart/sitecustomize.py installs the kick signal handler in the launcher
            "PYTHONPATH": str(PYSTART_DIR) + (os.pathsep + pythonpath if pythonpath else ""),
        }

    def note_reset(self, cause: str) -> None:
        """Tell the hub why the next boot happens ("soft", "hard", "power")."""
        with self.cond:
            self._next_cause = CAUSES[cause]

    def attach_i2c(self, bus: int | str, addr: int, device: I2CDevice) -> None:
        """Put a device object on an I2C bus (in the hub's process; clients attach by model)."""
        with self.cond:
            self.board.attach_i2c(bus, addr, device)

    def attach_spi(self, bus: int | str, device: SPIDevice, cs: int | str | None = None) -> None:
        with self.cond:
            number = None if cs is None else self.board.pin_number(cs)
            self.board.spi.setdefault(bus, []).append((number, device))

    def start(self) -> None:
        if self._server is not None:
            return
        self.state_dir.mkdir(parents=True, exist_ok=True)
        path = self.socket_path
        self._clear_stale(path)
        bind_path = str(path)
        if len(os.fsencode(bind_path)) > wire.SUN_PATH_MAX:
            self._short_dir = tempfile.mkdtemp(prefix="hm-hw-")
            bind_path = os.path.join(self._short_dir, "hw.sock")
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(bind_path)
        server.listen(64)
        if self._short_dir is not None:
            os.symlink(bind_path, path)
        self._server, self._bind_path = server, bind_path
        self._spawn(self._accept, "accept", server)

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        with contextlib.suppress(OSError):
            server.shutdown(socket.SHUT_RDWR)
        server.close()
        with self.cond:
            links, self.links = list(self.links.values()), {}
            conns = list(self._conns)
        for link in links:
            link.close()
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(timeout=2.0)
        self._threads.clear()
        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()
        if self._short_dir is not None:
            shutil.rmtree(self._short_dir, ignore_errors=True)
            self._short_dir = None
        self._bind_path = None

    def __enter__(self) -> HardwareHub:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _clear_stale(self, path: Path) -> None:
        if not (path.exists() or path.is_symlink()):
            return
        try:
            wire.connect_unix(path, timeout=0.5).close()
        except OSError:
            path.unlink()  # left by a hub that died
            return
        raise HardwareError(f"a hardware hub already serves {path}; stop that board first")

    # ---- connections

    def _spawn(self, target: Callable[..., None], name: str, *args: Any) -> None:
        self._threads = [t for t in self._threads if t.is_alive()]
        thread = threading.Thread(target=target, args=args, name=f"hw-{self.name}-{name}",
                                  daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with self.cond:
                self._conns.add(conn)
            self._spawn(self._serve, "conn", conn)

    def _serve(self, conn: socket.socket) -> None:
        try:
            reader = wire.LineReader(conn)
            hello = reader.message()
            roles = {"ctl": self._serve_ctl, "evt": self._serve_evt, "uart": self._serve_uart,
                     "peer": self._serve_peer, "client": self._serve_client}
            if hello is not None and hello.get("role") in roles:
                roles[hello["role"]](conn, reader, hello)
        except (OSError, wire.WireError) as exc:
            log.debug("hw %s: connection ended: %s", self.name, exc)
        except Exception:
            log.exception("hw %s: connection handler failed", self.name)
        finally:
            with self.cond:
                self._conns.discard(conn)
            conn.close()

    def _serve_ctl(
        self, conn: socket.socket, reader: wire.LineReader, hello: wire.Message
    ) -> None:
        with self.cond:
            self._next_id += 1
            sess = Session(self._next_id, wire.peer_pid(conn), int(hello.get("kick") or 0), conn)
        out = wire.Sender(conn)
        try:
            while (msg := reader.message()) is not None:
                out.send(self._board_call(sess, msg))
        finally:
            with self.cond:
                sess.closed = True
                if self.session is sess:
                    self.session = None
                self.cond.notify_all()
            sess.close()

    def _board_call(self, sess: Session, msg: wire.Message) -> wire.Message:
        rid = msg.get("i")
        op = str(msg.get("op"))
        try:
            if op == "boot":
                return {"i": rid, "r": self._boot(sess)}
            with self.cond:
                return {"i": rid, "r": self.board_op(sess, op, msg)}
        except BoardError as exc:
            return {"i": rid, "e": str(exc), "t": exc.kind, "n": exc.code}
        except (HardwareRequestError, KeyError, TypeError, ValueError) as exc:
            return {"i": rid, "e": f"{op}: {exc}", "t": "ValueError"}
        except HardwareTimeoutError as exc:
            return {"i": rid, "e": str(exc), "t": "OSError", "n": errno.ETIMEDOUT}

    def _boot(self, sess: Session) -> dict[str, Any]:
        with self.cond:
            old, self.session = self.session, sess
            self.boots += 1
            self.cause = CAUSES["power"] if self.boots == 1 else self._next_cause or CAUSES["hard"]
            self._next_cause = None
            self.board.power_on()
            levels = self.board.levels()
            self.cond.notify_all()
        if old is not None:
            old.close()
        f = self.facts
        return {"session": sess.id, "name": f.name, "uid": list(f.uid), "mac": list(f.mac),
                "pins": f.pins, "npins": f.npins, "wifi": f.wifi, "levels": levels,
                "cause": self.cause, "reset_exit": RESET_EXIT_CODE}

    def _serve_evt(
        self, conn: socket.socket, reader: wire.LineReader, hello: wire.Message
    ) -> None:
        # Sends time out (a stopped child must not hang the hub, which sends holding its
        # lock); receives wait as long as the child lives.
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO,
                        struct.pack("ll", int(ACK_TIMEOUT), 0))
        with self.cond:
            sess = self.session
            if sess is None or sess.id != hello.get("session") or sess.closed:
                return
            sess.sockets.append(conn)
            sess.evt = wire.Sender(conn)
            for p, pin in self.board.pins.items():  # what changed since the boot snapshot
                sess.evt.send({"ev": "pin", "p": p, "v": pin.level(), "s": self.board.seq})
            self.cond.notify_all()
        while (msg := reader.message()) is not None:
            if "a" in msg:
                with self.cond:
                    sess.acked = max(sess.acked, int(msg["a"]))
                    self.cond.notify_all()
            if msg.get("k"):
                self._kick(sess)
            if msg.get("wdt"):
                self._reset(CAUSES["watchdog"], sess)

    def _serve_uart(
        self, conn: socket.socket, reader: wire.LineReader, hello: wire.Message
    ) -> None:
        with self.cond:
            sess = self.session
            if sess is None or sess.id != hello.get("session"):
                return
            sess.sockets.append(conn)
            port = self.board.port(hello.get("id"))
        port.serve_board(conn, bytes(reader.rest), hello.get("tok"))

    def _serve_peer(
        self, conn: socket.socket, reader: wire.LineReader, hello: wire.Message
    ) -> None:
        with self.cond:
            port = self.board.port(hello.get("uart"))
        port.serve_peer(conn, bytes(reader.rest))

    def _serve_client(
        self, conn: socket.socket, reader: wire.LineReader, hello: wire.Message
    ) -> None:
        out = wire.Sender(conn)
        while (msg := reader.message()) is not None:
            rid = msg.get("i")
            try:
                out.send({"i": rid, "r": self.client_op(str(msg.get("op")), msg)})
            except HardwareTimeoutError as exc:
                out.send({"i": rid, "e": str(exc), "t": "timeout"})
            except HardwareRequestError as exc:
                out.send({"i": rid, "e": str(exc), "t": "request"})
            except (KeyError, TypeError, ValueError) as exc:
                out.send({"i": rid, "e": f"bad {msg.get('op')} request: {exc!r}", "t": "request"})

    # ---- pushing to the child

    def push_pin(self, change: tuple[int, int] | None) -> None:
        """Send a host-made level change to the child and wait until it has it."""
        if change is None:
            return
        with self.cond:
            sess, seq = self.session, self.board.seq
            if sess is None:
                return
            if sess.evt is not None:
                try:
                    sess.evt.send({"ev": "pin", "p": change[0], "v": change[1], "s": seq})
                except OSError:
                    return
            taken = self.cond.wait_for(
                lambda: sess.acked >= seq or sess.closed or self.session is not sess,
                timeout=ACK_TIMEOUT,
            )
        if not taken:
            raise HardwareTimeoutError(
                f"{self.name}: the board process (pid {sess.pid}) did not take in pin "
                f"{change[0]} = {change[1]} within {ACK_TIMEOUT:g} s: is it stopped or hung?"
            )

    def _kick(self, sess: Session) -> None:
        if sess.kick and sess.pid and not sess.closed:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(sess.pid, sess.kick)

    def poke(self, sess: Session) -> None:
        if sess.evt is not None:
            with contextlib.suppress(OSError):
                sess.evt.send({"ev": "poke"})

    def _reset(self, cause: int, sess: Session, from_irq: bool = False) -> str:
        """Board code asked for a reset (or its watchdog fired); returns how it happens:
        "hook" (the supervisor restarts the child), "exit" (the child exits with
        RESET_EXIT_CODE) or "kill" (the hub ends it: a watchdog, or a reset called in a
        callback, where the child cannot end itself)."""
        with self.cond:
            self._next_cause = cause
            hook = self.on_reset
        if hook is not None:
            self._spawn(self._run_hook, "reset", hook)
            return "hook"
        if cause != CAUSES["watchdog"] and not from_irq:
            return "exit"
        if sess.pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(sess.pid, signal.SIGTERM)
        return "kill"

    def _run_hook(self, hook: Callable[[], None]) -> None:
        try:
            hook()
        except Exception:
            log.exception("hw %s: on_reset hook failed", self.name)
