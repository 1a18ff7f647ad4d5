"""A virtual board's flash on the host: the littlefs2 image file its MicroPython mounts at /.

Images are made and read with the flash tool's code (`harmonia.flash.fsimage`), so a
virtual board's flash has the same format as a real board's filesystem partition.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from littlefs import LittleFS, LittleFSError

from ..boards import BoardProfile
from ..flash.fsimage import LFS_LOOKAHEAD, LFS_PROG_SIZE, LFS_READ_SIZE, build_image, read_image
from .errors import CorruptFlashError


def prepare(path: Path, profile: BoardProfile, board: str, reformat: bool = False) -> None:
    """Make sure `path` holds a mountable image for `profile`; make an empty one if absent.

    A corrupt image is never erased unless `reformat` is set; then the old bytes are kept
    beside it as `flash.img.corrupt`.
    """
    if not path.exists():
        _write(path, build_image(profile, {}))
        return
    try:
        check(path, profile)
    except CorruptFlashError as exc:
        if not reformat:
            raise CorruptFlashError(
                f"{exc}: to erase it and start board {board} on an empty filesystem, run "
                f"`harmonia vboard start --name {board} --reformat` (library: reformat=True); "
                "the old image is then kept as flash.img.corrupt"
            ) from None
        os.replace(path, path.with_name(path.name + ".corrupt"))
        _write(path, build_image(profile, {}))
        return
    if reformat:
        _write(path, build_image(profile, {}))


def check(path: Path, profile: BoardProfile) -> None:
    """Raise CorruptFlashError unless the image mounts and every file in it reads."""
    image = path.read_bytes()
    if len(image) != profile.fs_size:
        raise CorruptFlashError(
            f"flash image {path} is {len(image)} bytes, but profile {profile.name} has a "
            f"{profile.fs_size}-byte filesystem"
        )
    try:
        read_image(profile, image)
    except (LittleFSError, OSError, ValueError) as exc:
        raise CorruptFlashError(f"flash image {path} is corrupt ({exc})") from None


def read_files(path: Path, profile: BoardProfile) -> dict[str, bytes]:
    """Every file in the image, by absolute path on the board."""
    try:
        return read_image(profile, path.read_bytes())
    except (LittleFSError, ValueError) as exc:
        raise CorruptFlashError(f"flash image {path} is corrupt ({exc})") from None


def write_files(path: Path, profile: BoardProfile, files: Mapping[str, bytes]) -> None:
    """Add or replace files in the image (only while its board is stopped)."""
    fs = LittleFS(
        block_size=profile.fs_block_size,
        block_count=profile.fs_size // profile.fs_block_size,
        read_size=LFS_READ_SIZE,
        prog_size=LFS_PROG_SIZE,
        lookahead_size=LFS_LOOKAHEAD,
        mount=False,
    )
    fs.context.buffer[:] = path.read_bytes()
    try:
        fs.mount()
        for path_on_board, data in files.items():
            name = "/" + path_on_board.lstrip("/")
            parent = name.rsplit("/", 1)[0]
            if parent.strip("/"):
                fs.makedirs(parent, exist_ok=True)
            with fs.open(name, "wb") as handle:
                handle.write(data)
        fs.unmount()
    except LittleFSError as exc:
        raise CorruptFlashError(f"flash image {path} is corrupt ({exc})") from None
    _write(path, bytes(fs.context.buffer))


def _write(path: Path, image: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(image)
    os.replace(tmp, path)
