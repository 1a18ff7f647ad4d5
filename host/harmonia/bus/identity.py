"""Node ids, boot nonces and dotted names (docs/protocol.md 8.1 and 4).

>>> split_name("sensor.read")
('sensor', 'read')
>>> 0 < derive_id(b"board-1") < 0xFFFFFFFF
True
"""

from __future__ import annotations

import hashlib
import itertools
import os
import secrets
import uuid
from pathlib import Path

from ..codec import BROADCAST, NO_ID, ident
from .errors import ConfigError


def derive_id(unique: bytes) -> int:
    """First 4 bytes of SHA-256 of `unique`, skipping the reserved ids 0 and 0xFFFFFFFF."""
    digest = hashlib.sha256(unique).digest()
    for start in range(0, len(digest), 4):
        value = int.from_bytes(digest[start : start + 4], "big")
        if value not in (NO_ID, BROADCAST):
            return value
    raise ConfigError("node id digest is all reserved values: pass node_id= explicitly")


def machine_id() -> bytes:
    """This machine's stable id: /etc/machine-id where present, else the MAC address."""
    for path in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
        try:
            text = Path(path).read_text().strip()
        except OSError:
            continue
        if text:
            return text.encode()
    return uuid.getnode().to_bytes(8, "big")


_started = itertools.count()


def host_id(name: str) -> int:
    """The host's node id: machine id, process id, node name and how many nodes this
    process started before, so that several host nodes in one process (tests, bridges,
    the CLI called in-process) never share an id, even under one name."""
    unique = b":".join(
        (machine_id(), str(os.getpid()).encode(), name.encode(), str(next(_started)).encode())
    )
    return derive_id(unique)


def boot_nonce() -> int:
    """A random 32-bit nonce drawn once per node start."""
    return secrets.randbits(32)


def split_name(dotted: str) -> tuple[str, str]:
    """`"service.member"` into its two parts (the member never contains a dot)."""
    service, dot, member = dotted.rpartition(".")
    if not dot or not service or not member:
        raise ConfigError(f"{dotted!r} is not of the form 'service.name' (e.g. 'sys.info')")
    return service, member


def name_ids(dotted: str) -> tuple[int, int]:
    """The wire ids `(svc, mth)` of a `service.member` name."""
    service, member = split_name(dotted)
    return ident(service), ident(member)
