"""CircuitPython drivers for a deploy: found among the installed Python packages.

`collect_drivers(["adafruit-circuitpython-mcp9808"])` lists the driver's module files
and those of the CircuitPython libraries it requires (adafruit_bus_device,
adafruit_register, ...) as `(board path, source path)` pairs, e.g.
`("lib/adafruit_mcp9808.py", .../site-packages/adafruit_mcp9808.py)`. The deploy
compiles them with mpy-cross like the firmware; on the board `lib/` is on the import
path next to the CircuitPython layer (firmware/lib: busio, board, digitalio,
microcontroller). `board_pins_module(profile)` is the per-board pin table that
`board` reads. See docs/circuitpython.md.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path, PurePosixPath

from packaging.requirements import InvalidRequirement, Requirement

from .boards import BoardProfile, PinId
from .build import BOARD_LIB
from .build import BOARD_PINS as BOARD_PINS  # the per-board pin table (board_pins_module)
from .errors import HarmoniaError

LIB = BOARD_LIB  # the board folder, on sys.path, where drivers and the CircuitPython layer live

# Requirements of the PyPI driver packages that run only on a host (Blinka is
# CircuitPython's API for CPython; the typing packages are imported under
# `try: ... except ImportError`), so a board never needs them.
HOST_ONLY = frozenset({
    "adafruit-blinka",
    "adafruit-circuitpython-typing",
    "adafruit-platformdetect",
    "adafruit-pureio",
    "binho-host-adapter",
    "pyftdi",
    "pyusb",
    "sysv-ipc",
    "typing-extensions",
})
PREFIXES = ("adafruit-circuitpython-", "circuitpython-")  # how CircuitPython libraries are named


class DriverError(HarmoniaError):
    """A driver package cannot be found or used."""


class DriverNotInstalledError(DriverError):
    """The named driver (or a library it requires) is not installed on the host."""


def canonical(name: str) -> str:
    """A distribution name as PyPI compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def is_board_library(name: str) -> bool:
    """Whether a requirement is a CircuitPython library a board needs."""
    name = canonical(name)
    return name.startswith(PREFIXES) and name not in HOST_ONLY


def _installed() -> dict[str, metadata.Distribution]:
    found: dict[str, metadata.Distribution] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            found.setdefault(canonical(name), dist)
    return found


def _resolve(spec: str, installed: dict[str, metadata.Distribution]) -> metadata.Distribution:
    """The distribution a name stands for: a distribution name, a short name
    ("mcp9808" for adafruit-circuitpython-mcp9808) or a top-level module name."""
    try:
        req = Requirement(spec)
    except InvalidRequirement as exc:
        raise DriverError(f"{spec!r} is not a package name: {exc}") from exc
    name = canonical(req.name)
    candidates = [name, *(p + name for p in PREFIXES)]
    modules = metadata.packages_distributions()
    for dist_name in modules.get(req.name, ()):
        candidates.append(canonical(dist_name))
    for candidate in candidates:
        dist = installed.get(candidate)
        if dist is not None:
            version = dist.version
            if req.specifier and version not in req.specifier:
                raise DriverNotInstalledError(
                    f"{candidate} {version} is installed, but {spec} was asked for: "
                    f"`pip install '{candidate}{req.specifier}'`"
                )
            return dist
    short = name.removeprefix(PREFIXES[0]).removeprefix(PREFIXES[1])
    near = sorted(n for n in installed if is_board_library(n) and short in n)
    hint = f"; installed and close: {', '.join(near)}" if near else ""
    pip_name = name if name.startswith(PREFIXES) else PREFIXES[0] + name
    raise DriverNotInstalledError(
        f"no installed package {spec!r}: `pip install {pip_name}` (or the driver's own "
        f"name){hint}"
    )


def _requirements(dist: metadata.Distribution) -> list[str]:
    out = []
    for line in dist.requires or ():
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        if is_board_library(req.name):
            out.append(req.name)
    return out


def _module_files(dist: metadata.Distribution) -> list[tuple[str, Path]]:
    files = []
    for entry in dist.files or ():
        rel = PurePosixPath(str(entry))
        if rel.suffix != ".py" or any(
            part == "__pycache__" or part.endswith((".dist-info", ".egg-info")) or part == ".."
            for part in rel.parts
        ):
            continue
        files.append((f"{LIB}/{rel}", Path(str(dist.locate_file(entry))).resolve()))
    return files


def collect_drivers(
    names: Iterable[str], *, exclude: Iterable[str] = ()
) -> list[tuple[str, Path]]:
    """The module files of the named driver packages and of the CircuitPython libraries
    they require, as sorted `(board path, source path)` pairs under `lib/`.

    Names are distribution names (with an optional version specifier), short names
    ("bme280") or module names ("adafruit_bme280"). Raises DriverNotInstalledError
    naming what to `pip install`, DriverError for a package with no modules."""
    installed = _installed()
    skip = {canonical(n) for n in exclude}
    seen: set[str] = set()
    files: dict[str, Path] = {}
    owner: dict[str, str] = {}
    queue = [(spec, "") for spec in names]
    while queue:
        spec, wanted_by = queue.pop(0)
        try:
            dist = _resolve(spec, installed)
        except DriverNotInstalledError as exc:
            if wanted_by:
                raise DriverNotInstalledError(f"{wanted_by} requires {spec}: {exc}") from exc
            raise
        name = canonical(dist.metadata["Name"])
        if name in seen or name in skip:
            continue
        seen.add(name)
        modules = _module_files(dist)
        if not modules:
            raise DriverError(
                f"{name} {dist.version} has no Python modules to put on a board "
                "(is it a CircuitPython driver package?)"
            )
        for board_path, source in modules:
            if board_path in files and owner[board_path] != name:
                raise DriverError(
                    f"{owner[board_path]} and {name} both provide {board_path}: deploy one"
                )
            files[board_path] = source
            owner[board_path] = name
        queue.extend((req, name) for req in _requirements(dist))
    return sorted(files.items())


def read_manifest(path: Path) -> list[str]:
    """Driver names from a manifest file: one per line (a version specifier may
    follow, as in requirements files); blank lines and `#` comments are skipped."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DriverError(f"cannot read driver manifest {path}: {exc.strerror}") from exc
    names = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.append(line)
    return names


def stage(files: Iterable[tuple[str, Path]], root: Path) -> list[Path]:
    """Copy `(board path, source)` pairs under `root`, ready for `build_firmware`."""
    out = []
    for board_path, source in files:
        dest = root / board_path
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, dest)
        out.append(dest)
    return out


def _pin_literal(pin: PinId) -> str:
    return repr(pin)


def board_pins_module(profile: BoardProfile) -> str:
    """Source of `_boardpins`, the data module the board's `board` and `busio` read:
    the profile's named pins and its default buses as (id, pins...) tuples."""
    pins = dict(profile.pins)
    if profile.led is not None:
        pins.setdefault("LED", profile.led)
    lines = [
        f"# The pin table of board profile {profile.name!r}, written by harmonia from its",
        "# board file for the CircuitPython layer (board, busio); do not edit.",
        f"PROFILE = {profile.name!r}",
        "PINS = {",
        *(f"    {name!r}: {_pin_literal(pin)}," for name, pin in sorted(pins.items())),
        "}",
        f"I2C = [({profile.i2c.id}, {profile.i2c.scl!r}, {profile.i2c.sda!r})]",
        f"UART = [({profile.uart.id}, {profile.uart.tx!r}, {profile.uart.rx!r})]",
    ]
    spi = getattr(profile, "spi", None)  # (id, sck, mosi, miso) where a profile names one
    if spi is not None:
        lines.append(f"SPI = [({spi.id}, {spi.sck!r}, {spi.mosi!r}, {spi.miso!r})]")
    else:
        lines.append("SPI = []")
    return "\n".join(lines) + "\n"
