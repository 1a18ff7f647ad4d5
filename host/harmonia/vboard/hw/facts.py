"""The few facts of a board profile that its simulated hardware needs.

Read by capability, never by board name: the pin count and named pins, whether
it has a Wi-Fi radio, its CPU clock, how long its unique id is. The profile may
be an object with attributes or a mapping (a parsed board file); what it does
not say falls back to the `virtual` board's values.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_FREQ = 160_000_000
UID_BYTES = {"esp32": 6, "rp2": 8, "stm32": 12}  # unique_id() length per firmware family


@dataclass(frozen=True)
class BoardFacts:
    name: str
    uid: bytes  # machine.unique_id(), stable for a board name
    mac: bytes  # WLAN MAC: a locally administered address from the same digest
    freq: int
    pins: dict[str, int]  # named pins, e.g. {"LED": 8}
    npins: int  # valid pin numbers are 0..npins-1; 0 means any (no pin table)
    wifi: bool


def _get(profile: object, *names: str) -> Any:
    for name in names:
        if isinstance(profile, Mapping) and name in profile:
            return profile[name]
        value = getattr(profile, name, None)
        if value is not None:
            return value
    return None


def _port_pin(name: str) -> int | None:
    """STM32-style port pins number as the port does: PA0 = 0, PB0 = 16, PC13 = 45."""
    m = re.fullmatch(r"P([A-K])(\d{1,2})", name)
    return None if m is None else (ord(m[1]) - ord("A")) * 16 + int(m[2])


def _named_pins(profile: object) -> dict[str, int]:
    """Every pin name a profile gives, as a number: board names ("LED", "D13") and the
    port names they stand for ("PA5", "WL_GPIO1"); names with no number of their own
    get numbers above the numbered pins."""
    table = _get(profile, "pins")
    entries: dict[str, Any] = dict(table) if isinstance(table, Mapping) else {}
    led = _get(profile, "led_pin", "led")
    if led is not None and "LED" not in entries:
        entries["LED"] = led
    pins: dict[str, int] = {}
    for target in entries.values():
        number = _port_pin(target) if isinstance(target, str) else None
        if number is not None:
            pins[target] = number
    numbers = [v for v in entries.values() if isinstance(v, int)] + list(pins.values())
    spare = max(numbers, default=-1) + 1
    for target in sorted({t for t in entries.values() if isinstance(t, str)} - set(pins)):
        pins[target] = spare
        spare += 1
    for name, target in entries.items():
        pins[str(name)] = target if isinstance(target, int) else pins[target]
    return pins


def _has_wifi(profile: object) -> bool:
    radios = _get(profile, "radios")
    if radios is None:
        return True
    if isinstance(radios, str):
        radios = [radios]
    return any("wifi" in str(r).lower().replace("-", "") for r in radios)


def board_facts(name: str, profile: object | None) -> BoardFacts:
    digest = hashlib.sha256(b"harmonia-vboard:" + name.encode()).digest()
    if profile is None:
        return BoardFacts(name, digest[:6], _mac(digest), DEFAULT_FREQ, {}, 0, True)
    family = str(_get(profile, "family", "firmware_family", "port") or "").lower()
    uid_len = next((n for key, n in UID_BYTES.items() if key in family), 6)
    freq = _get(profile, "cpu_freq", "cpu_freq_hz")
    pins = _named_pins(profile)
    return BoardFacts(
        name=name,
        uid=digest[:uid_len],
        mac=_mac(digest),
        freq=freq if isinstance(freq, int) and freq > 0 else DEFAULT_FREQ,
        pins=pins,
        npins=max(pins.values(), default=-1) + 1,  # a board with a pin table has only those
        wifi=_has_wifi(profile),
    )


def _mac(digest: bytes) -> bytes:
    return bytes([(digest[0] | 0x02) & 0xFE]) + digest[1:6]
