"""A board's raw REPL for the length of a deploy: mpremote's SerialTransport, with the
board side of deploy (firmware/hm/deployed.py) loaded into the REPL's globals.

Commands go through the transport (raw-paste exec); only the file stream itself is
written to the transport's serial object, while the board's `receive()` reads it.
"""

from __future__ import annotations

import ast
import contextlib
import errno
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .bundle import APP_ROOT, BOOTSTRAP_PATH
from .errors import (
    BoardStoppedError,
    DeployError,
    DiskFullError,
    NoReplError,
    RejectedError,
)
from .wire import ACK, NAK, POLL, Refused, agent_source, messages, packed_agent, send

if TYPE_CHECKING:
    from .core import Plan

ENOSPC = 28

_PROBE = f"""\
import sys
def _hm_probe():
 d=None
 try:
  import hashlib,binascii
  h=hashlib.sha256()
  with open('{BOOTSTRAP_PATH}','rb') as f:h.update(f.read())
  d=binascii.hexlify(h.digest()[:8]).decode()
 except Exception:pass
 try:
  import deflate
  z=True
 except ImportError:z=False
 print(repr((getattr(sys.implementation,'_mpy',0),d,z)))
_hm_probe()
"""

_RESIDENT = f"""\
import sys
sys.path.insert(0,'{APP_ROOT}')
try:
 from deployed import *
finally:
 sys.path.remove('{APP_ROOT}')
"""

_ACTIVE = "import sys\nm=sys.modules.get('deployed')\nprint(repr(m and m.CURRENT))"


@dataclass(frozen=True)
class Probe:
    mpy: int  # sys.implementation._mpy: .mpy version, sub-version, native arch
    bootstrap: str | None  # digest of the board's /app/deployed.mpy
    deflate: bool


@dataclass(frozen=True)
class BoardStatus:
    version: str | None
    mpy: int
    machine: str
    free: int
    block: int
    deflate: bool
    sha: bool
    boot: str | None  # digest of /boot.py
    boot_kind: str | None  # "ours", "activates", "other", or None: no /boot.py
    bootstrap: str | None
    mem: int
    pins: str | None = None  # digest of /lib/_boardpins.py


class Session:
    def __init__(
        self, transport: Any, timeout: float, alive: Callable[[], None] | None = None
    ) -> None:
        self.t = transport
        self.timeout = timeout
        self.alive = alive

    def enter(self) -> None:
        """Raw REPL after a soft reset, as mpremote does: main.py stops and its heap is
        freed (a running bus leaves too little for the agent), boot.py runs again."""
        from mpremote.transport import TransportError  # type: ignore[import-untyped]

        try:
            self.t.enter_raw_repl(soft_reset=True, timeout_overall=self.timeout)
        except TransportError as exc:
            raise NoReplError(
                f"no MicroPython REPL answers ({exc}): is MicroPython running on the board, "
                "not its bootloader or another program?"
            ) from None

    def exec(self, code: str) -> str:
        from mpremote.transport import TransportError, TransportExecError

        try:
            out = self.t.exec(code)
        except TransportExecError as exc:
            lines = [ln for ln in str(exc.error_output).splitlines() if ln.strip()]
            raise DeployError(f"the board raised {lines[-1] if lines else 'an error'}") from None
        except TransportError as exc:
            raise BoardStoppedError(f"the board stopped answering the REPL ({exc})") from None
        return bytes(out).decode("utf-8", "replace")

    def probe(self) -> Probe:
        mpy, bootstrap, deflate = ast.literal_eval(self.exec(_PROBE).strip())
        return Probe(int(mpy), bootstrap, bool(deflate))

    def load_agent(self, probe: Probe, bootstrap_digest: str) -> None:
        """Import the board's own deployed module when it is ours byte for byte; else
        run the agent's source (packed when the board can inflate)."""
        if probe.bootstrap == bootstrap_digest:
            self.exec(_RESIDENT)
        else:
            self.exec(packed_agent() if probe.deflate else agent_source())

    def status(self) -> BoardStatus:
        return BoardStatus(**ast.literal_eval(self.exec("status()").strip()))

    def manifest(self) -> dict[str, tuple[str, int]] | None:
        """The current version's files (path -> digest, size), or None if unreadable."""
        import json

        text = self.exec("manifest()").strip()
        try:
            files = json.loads(text)["files"] if text else None
            return {str(k): (str(v[0]), int(v[1])) for k, v in files.items()} if files else None
        except (ValueError, KeyError, TypeError, IndexError, AttributeError):
            return None

    def receive(
        self,
        plan: Plan,
        window: int,
        progress: Callable[[int, int], None] | None = None,
    ) -> str:
        """Run receive() on the board, stream the items, and return the version it
        switched to. Raises DiskFullError or RejectedError when the board refuses."""
        from mpremote.transport import TransportError

        try:
            self.t.exec_raw_no_follow(f"receive({plan.version!r},{plan.need},{window})")
            verdict = self._verdict()
            if verdict == ACK:
                with contextlib.suppress(Refused):  # send() told the board to stop
                    send(
                        self.t.serial,
                        messages(plan.items, plan.payload, plan.wbits, window),
                        timeout=self.timeout,
                        alive=self.alive,
                        progress=progress,
                    )
            out, err = self.t.follow(self.timeout)
        except TransportError as exc:
            raise BoardStoppedError(f"the board stopped answering the REPL ({exc})") from None
        text = bytes(out).decode("utf-8", "replace")
        if err:
            lines = [ln for ln in bytes(err).decode("utf-8", "replace").splitlines() if ln]
            raise BoardStoppedError(f"the board broke off: {lines[-1] if lines else 'error'}")
        for line in text.splitlines():
            word, _, rest = line.strip().partition(" ")
            if word == "OK":
                return rest.strip()
            if word == "ERR":
                code, _, reason = rest.partition(" ")
                if code.isdigit() and reason.strip() in ("", code):  # errno alone
                    reason = f"[Errno {code}] {errno.errorcode.get(int(code), 'error')}"
                if code == str(ENOSPC):
                    raise DiskFullError(
                        f"the board's filesystem has no room for the new version ({reason}); "
                        "nothing was switched: free some space or deploy less"
                    )
                raise RejectedError(
                    f"the board refused the new version: {reason}; nothing was switched"
                )
        raise BoardStoppedError(f"the board answered the deploy with {text.strip()[:200]!r}")

    def _verdict(self) -> bytes:
        """The board's first answer to receive(): go (ACK) or refused (NAK)."""
        import time

        serial = self.t.serial
        old = serial.timeout
        serial.timeout = POLL
        deadline = time.monotonic() + self.timeout
        try:
            while True:
                byte: bytes = serial.read(1)
                if byte in (ACK, NAK):
                    return byte
                if byte:
                    raise BoardStoppedError(f"the board answered the deploy with {byte!r}")
                if self.alive is not None:
                    self.alive()
                if time.monotonic() > deadline:
                    raise BoardStoppedError(
                        f"the board did not start receiving within {self.timeout:g} s"
                    )
        finally:
            serial.timeout = old

    def reboot(self) -> str | None:
        """Soft reset (boot.py runs, main.py not) and the version the board activated."""
        from mpremote.transport import TransportError

        try:
            self.t.enter_raw_repl(soft_reset=True, timeout_overall=self.timeout)
        except TransportError as exc:
            raise BoardStoppedError(
                f"the board did not come back from its soft reset ({exc})"
            ) from None
        active = ast.literal_eval(self.exec(_ACTIVE).strip())
        return str(active) if active else None

    def finish(self, restart: bool) -> None:
        """Leave the raw REPL; with `restart`, soft reset so boot.py and main.py run."""
        self.t.exit_raw_repl()
        if restart:
            self.t.serial.write(b"\x04")
        self.t.serial.flush()
