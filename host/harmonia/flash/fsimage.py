"""The filesystem a board starts with: the compiled framework, its pin table and its
`/hm.json`, as a littlefs2 image laid out the way MicroPython's `vfs.VfsLfs2` mounts it.

Everything goes under `/lib`, on every port's sys.path: `hm/` as a package, and the
firmware's own `lib/` (the CircuitPython layer: busio, board, ...) as top-level modules,
next to `/lib/_boardpins.py`, the board's pin table (docs/circuitpython.md)."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path

from littlefs import LittleFS

from ..boards import BoardProfile
from ..build import BOARD_LIB
from .model import CONFIG_PATH, BoardConfig

FRAMEWORK_DIR = "/lib"  # on sys.path of every MicroPython port
# MicroPython's VfsLfs2 defaults (readsize, progsize, lookahead), and the on-disk
# version every littlefs v2 release reads
LFS_READ_SIZE = 32
LFS_PROG_SIZE = 32
LFS_LOOKAHEAD = 32
LFS_DISK_VERSION = 0x00020000


def framework_files(
    profile: BoardProfile, framework_dir: Path | None = None, build_dir: Path | None = None
) -> dict[str, bytes]:
    """The framework's `.mpy` files for the board's `march`, keyed by path on the board.

    `framework_dir` is an already built tree for that arch; otherwise `firmware/`
    is compiled now with `harmonia.build` (into `build_dir`, or a temporary one).
    """
    if framework_dir is not None:
        return _tree(framework_dir)
    from ..build import build_firmware

    if build_dir is not None:
        build_firmware(build_dir, [profile.march])
        return _tree(build_dir / profile.march)
    with tempfile.TemporaryDirectory(prefix="harmonia-build-") as tmp:
        build_firmware(Path(tmp), [profile.march])
        return _tree(Path(tmp) / profile.march)


def _tree(root: Path) -> dict[str, bytes]:
    return {
        board_path(p.relative_to(root).as_posix()): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def board_path(rel: str) -> str:
    """Where a file of the compiled firmware tree goes: `hm/app.mpy` -> `/lib/hm/app.mpy`,
    `lib/busio.mpy` -> `/lib/busio.mpy` (imported as `busio`)."""
    head, _, rest = rel.partition("/")
    return f"{FRAMEWORK_DIR}/{rest if head == BOARD_LIB and rest else rel}"


def board_files(
    profile: BoardProfile, config: BoardConfig, framework: Mapping[str, bytes]
) -> dict[str, bytes]:
    """Everything the board's filesystem starts with: the framework, the pin table the
    CircuitPython layer reads (per board: boards of one arch differ in pins) and the
    board's config."""
    from ..drivers import BOARD_PINS, board_pins_module

    return {
        **framework,
        f"/{BOARD_PINS}": board_pins_module(profile).encode(),
        CONFIG_PATH: config.to_json(profile.name),
    }


def build_image(profile: BoardProfile, files: Mapping[str, bytes]) -> bytes:
    """A littlefs2 image of exactly `profile.fs_size` bytes holding `files`."""
    fs = LittleFS(
        block_size=profile.fs_block_size,
        block_count=profile.fs_size // profile.fs_block_size,
        read_size=LFS_READ_SIZE,
        prog_size=LFS_PROG_SIZE,
        lookahead_size=LFS_LOOKAHEAD,
        disk_version=LFS_DISK_VERSION,
        mount=False,
    )
    fs.format()
    fs.mount()
    for path, data in sorted(files.items()):
        parent = path.rsplit("/", 1)[0]
        if parent:
            fs.makedirs(parent, exist_ok=True)
        with fs.open(path, "wb") as handle:
            handle.write(data)
    fs.unmount()
    return bytes(fs.context.buffer)


def read_image(profile: BoardProfile, image: bytes) -> dict[str, bytes]:
    """The files in a littlefs2 image of this board's layout (for tests and `--verify`)."""
    fs = LittleFS(
        block_size=profile.fs_block_size,
        block_count=profile.fs_size // profile.fs_block_size,
        read_size=LFS_READ_SIZE,
        prog_size=LFS_PROG_SIZE,
        lookahead_size=LFS_LOOKAHEAD,
        mount=False,
    )
    fs.context.buffer[:] = image
    fs.mount()
    found = {}
    for root, _dirs, names in fs.walk("/"):
        for name in names:
            path = f"{root.rstrip('/')}/{name}"
            with fs.open(path, "rb") as handle:
                found[path] = handle.read()
    fs.unmount()
    return found
