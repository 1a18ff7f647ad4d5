"""How a command joins the bus: address, port, group key, serial links; and joining it.

    with connect(BusOptions(key=load_key(key_file="~/.harmonia/key"))) as bus:
        bus.call("kitchen", "sys.info")

The default address is 127.0.0.1, where the host hears the virtual boards (they live on
127.0.0.2-254). When that address is taken on the bus port (another `harmonia watch` runs),
the node moves to the next free 127.0.1.x, so several commands can run side by side.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ..bus import DEFAULT_PORT, ConfigError, LinkError
from ..bus.security import parse_key
from ..bus.serial_link import DEFAULT_BAUD
from ..bus.sync import SyncBus
from .errors import BadArgument

KEY_ENV = "HARMONIA_KEY"
KEY_FILE_ENV = "HARMONIA_KEY_FILE"
LOOPBACK = "127.0.0.1"
SPARE_ADDRESSES = tuple(f"127.0.1.{i}" for i in range(1, 33))


@dataclass(frozen=True)
class BusOptions:
    """Where the host node joins the bus. `address=None`: the loopback default, unless
    serial ports are given (then serial only); `""`: no UDP at all."""

    address: str | None = None
    port: int = DEFAULT_PORT
    key: bytes | None = None
    serial: tuple[str, ...] = ()
    baudrate: int = DEFAULT_BAUD
    name: str = "harmonia"
    state_dir: Path | None = field(default=None, compare=False)
    """Where to look for running virtual boards when explaining an empty bus."""

    @property
    def udp_address(self) -> str | None:
        """The address the UDP link binds, or None for a serial-only node."""
        if self.address is None:
            return None if self.serial else LOOPBACK
        return self.address or None

    def describe(self) -> str:
        """Where this node listens, for messages: `127.0.0.1:47770`, `/dev/ttyUSB0`."""
        places = [f"{self.udp_address}:{self.port}"] if self.udp_address else []
        return ", ".join(places + list(self.serial)) or "no link"


def load_key(
    key: str | None = None,
    key_file: str | Path | None = None,
    env: Mapping[str, str] | None = None,
) -> bytes | None:
    """The group key from `key` (64 hex digits), else `key_file`, else $HARMONIA_KEY,
    else $HARMONIA_KEY_FILE; None (open mode) when none is given.

    A key file holds the 64 hex digits (surrounding whitespace ignored) or the 32 raw bytes.
    """
    env = os.environ if env is None else env
    if key is None and key_file is None:
        key = env.get(KEY_ENV) or None
        key_file = env.get(KEY_FILE_ENV) or None
    if key is not None:
        return _parse(key.strip(), "the key")
    if key_file is None:
        return None
    path = Path(key_file).expanduser()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadArgument(f"cannot read the key file {path}: {exc.strerror}") from None
    if len(data) == 32 and not _is_hex(data):
        return data
    return _parse(data.decode("ascii", "replace").strip(), f"the key file {path}")


def _is_hex(data: bytes) -> bool:
    try:
        bytes.fromhex(data.decode("ascii"))
    except ValueError:
        return False
    return True


def _parse(text: str, where: str) -> bytes:
    try:
        key = parse_key(text)
    except ConfigError:
        key = None
    if key is None:
        raise BadArgument(
            f"{where} is not a group key: give 64 hex digits (32 bytes), as in /hm.json's group_key"
        )
    return key


@contextmanager
def connect(options: BusOptions | None = None, timeout: float = 10.0) -> Iterator[SyncBus]:
    """A host node on the bus for the length of a `with` block."""
    bus = open_bus(options or BusOptions(), timeout)
    try:
        yield bus
    finally:
        bus.close()


def open_bus(options: BusOptions, timeout: float = 10.0) -> SyncBus:
    """Start a host node; on the default address, fall back to a spare loopback address
    when another node holds 127.0.0.1 on this port."""
    address = options.udp_address
    candidates = [address]
    if options.address is None and address == LOOPBACK:
        candidates += SPARE_ADDRESSES
    for i, candidate in enumerate(candidates):
        try:
            return SyncBus.open(
                options.name,
                timeout=timeout,
                address=candidate,
                port=options.port,
                key=options.key,
                serial=options.serial,
                baudrate=options.baudrate,
            )
        except LinkError:
            if candidate is None or i == len(candidates) - 1 or options.serial:
                raise
    raise AssertionError("unreachable")
