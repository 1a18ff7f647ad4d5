"""Serial ports and what is behind them, named only as far as the evidence goes.

A USB ID a board profile lists (boards/*.toml) names that board, or the boards that share
it as candidates; an ID in boards/usb/bridges.toml names a USB-UART bridge or a debug probe
(many boards carry one, so the board behind it is only a candidate); anything else is an
unknown USB device. RP2 BOOTSEL drives and running virtual boards are listed too.

    for port in list_ports():
        print(port.device, port.kind, port.description)
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from . import paths
from .boards import BoardFileError, BoardProfile, UsbId, list_profiles

USB_DEVICES_FILE = Path("usb") / "bridges.toml"

PortKind = Literal["virtual", "board", "bridge", "probe", "usb", "serial", "bootsel"]
"""virtual: a running virtual board; board: a USB ID one or more board profiles list;
bridge / probe: a USB-UART bridge or debug probe; usb: an unknown USB device;
serial: a port with no USB ID; bootsel: an RP2 BOOTSEL drive."""


@dataclass(frozen=True)
class UsbDevice:
    """A USB chip many boards carry (boards/usb/bridges.toml)."""

    vid: int
    pid: int
    kind: Literal["bridge", "probe"]
    label: str


@dataclass(frozen=True)
class PortInfo:
    device: str  # /dev/ttyACM0, COM3, a virtual board's /dev/pts/N, or a BOOTSEL drive
    kind: PortKind
    description: str
    board: str | None = None  # the one board profile this can be, when only one can
    candidates: tuple[str, ...] = ()  # every profile that enumerates with this ID
    chip: str | None = None  # when every candidate has the same MCU
    modes: tuple[str, ...] = ()  # "app" / "bootloader", as far as the ID tells
    vid: int | None = None
    pid: int | None = None
    serial_number: str | None = None
    manufacturer: str | None = None
    product: str | None = None
    location: str | None = None  # USB bus path: the same socket after a re-enumeration
    name: str | None = None  # virtual board name
    address: str | None = None  # virtual board's loopback address
    status: str | None = None  # virtual board: running / crashed
    holders: tuple[str, ...] = field(default=())  # programs that have the port open

    @property
    def usb_id(self) -> str | None:
        if self.vid is None or self.pid is None:
            return None
        return f"{self.vid:04x}:{self.pid:04x}"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["usb_id"] = self.usb_id
        data["candidates"] = list(self.candidates)
        data["modes"] = list(self.modes)
        data["holders"] = list(self.holders)
        return data


def load_usb_devices(boards_dir: Path | None = None) -> tuple[UsbDevice, ...]:
    """The bridge and probe table; an absent file is an empty table."""
    path = (boards_dir or paths.boards_dir()) / USB_DEVICES_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return ()
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BoardFileError(f"cannot read the USB device table {path}: {exc}") from exc
    found = []
    for index, entry in enumerate(data.get("device", [])):
        try:
            vid, pid, kind, label = entry["vid"], entry["pid"], entry["kind"], entry["label"]
            valid = (
                all(isinstance(v, int) and 0 <= v <= 0xFFFF for v in (vid, pid))
                and kind in ("bridge", "probe")
                and isinstance(label, str)
                and label
            )
        except (KeyError, TypeError):
            valid = False
        if not valid:
            raise BoardFileError(
                f"{path}: device[{index}] needs vid and pid (0..0xffff), kind "
                '("bridge" or "probe") and a label'
            )
        found.append(UsbDevice(vid, pid, kind, label))
    return tuple(found)


def classify_usb(
    device: str,
    vid: int | None,
    pid: int | None,
    profiles: Sequence[BoardProfile],
    usb_devices: Sequence[UsbDevice],
    *,
    serial_number: str | None = None,
    manufacturer: str | None = None,
    product: str | None = None,
    location: str | None = None,
) -> PortInfo:
    """What a port with this USB ID is, from the tables alone (no probing)."""
    base = PortInfo(
        device,
        "serial",
        "serial port with no USB ID",
        vid=vid,
        pid=pid,
        serial_number=serial_number,
        manufacturer=manufacturer,
        product=product,
        location=location,
    )
    if vid is None or pid is None:
        return base
    matches = [(p, u) for p in profiles for u in p.usb if (u.vid, u.pid) == (vid, pid)]
    names = tuple(sorted({p.name for p, _ in matches}))
    known = next((d for d in usb_devices if (d.vid, d.pid) == (vid, pid)), None)
    if known is not None:
        return replace(base, kind=known.kind, description=known.label, candidates=names)
    if not matches:
        return replace(base, kind="usb", description=f"unknown USB device {vid:04x}:{pid:04x}")
    chips = {p.mcu for p, _ in matches}
    modes = tuple(sorted({u.mode for _, u in matches}))
    return replace(
        base,
        kind="board",
        description=_label([u for _, u in matches], modes),
        board=names[0] if len(names) == 1 else None,
        candidates=names,
        chip=chips.pop() if len(chips) == 1 else None,
        modes=modes,
    )


def _label(entries: Iterable[UsbId], modes: tuple[str, ...]) -> str:
    """One entry's label when the ID has one meaning; else the words they share."""
    labels = sorted({u.label for u in entries})
    if len(labels) == 1:
        return labels[0]
    stems = [label.split(" (")[0].split() for label in labels]
    shared: list[str] = []
    for words in zip(*stems, strict=False):
        if len(set(words)) != 1:
            break
        shared.append(words[0])
    text = " ".join(shared) or "board"
    return f"{text} ({' or '.join(modes)} mode)" if len(modes) > 1 else text


def list_ports(
    *,
    state_dir: Path | str | None = None,
    include_virtual: bool = True,
    include_bootsel: bool = True,
    boards_dir: Path | None = None,
    bootsel_dirs: Iterable[Path] = (),
) -> list[PortInfo]:
    """Serial ports (pyserial's list_ports) classified by USB ID, RP2 BOOTSEL drives, and
    running virtual boards (from the vboard state directory), in that order."""
    from serial.tools import list_ports as pyserial_ports

    from .flash.errors import port_holders

    profiles = list_profiles(boards_dir)
    usb_devices = load_usb_devices(boards_dir)
    found: list[PortInfo] = []
    for info in sorted(pyserial_ports.comports(), key=lambda p: p.device):
        found.append(
            classify_usb(
                info.device,
                info.vid,
                info.pid,
                profiles,
                usb_devices,
                serial_number=info.serial_number,
                manufacturer=info.manufacturer,
                product=info.product,
                location=info.location,
            )
        )
    found = [_with_holders(p, port_holders) for p in found]
    if include_bootsel:
        found += _bootsel(profiles, bootsel_dirs)
    if include_virtual:
        found += virtual_ports(state_dir, port_holders)
    return found


def _with_holders(port: PortInfo, holders: Callable[[str], list[str]]) -> PortInfo:
    return replace(port, holders=tuple(holders(port.device)))


def _bootsel(profiles: Sequence[BoardProfile], extra: Iterable[Path]) -> list[PortInfo]:
    from .flash.uf2 import find_drives

    found = []
    for drive in find_drives(extra):
        names = tuple(
            sorted(
                p.name
                for p in profiles
                if p.mcu == drive.chip and any(u.mode == "bootloader" for u in p.usb)
            )
        )
        chip = drive.chip or "RP2"
        found.append(
            PortInfo(
                str(drive.path),
                "bootsel",
                f"{chip} BOOTSEL drive (UF2)",
                board=names[0] if len(names) == 1 else None,
                candidates=names,
                chip=drive.chip,
                modes=("bootloader",),
            )
        )
    return found


def virtual_ports(
    state_dir: Path | str | None = None, holders: Callable[[str], list[str]] | None = None
) -> list[PortInfo]:
    """The consoles of running virtual boards."""
    from .vboard.state import default_state_dir, running_boards

    found = []
    for state in running_boards(Path(state_dir) if state_dir else default_state_dir()):
        found.append(
            PortInfo(
                state.port,
                "virtual",
                f"Harmonia virtual board {state.name} ({state.profile})",
                board=state.profile,
                candidates=(state.profile,),
                modes=("app",),
                name=state.name,
                address=state.address,
                status=state.status,
                holders=tuple(holders(state.port)) if holders else (),
            )
        )
    return found
