"""`flash()`: one board, from firmware file to a verified flash holding the framework."""

from __future__ import annotations

import time
from contextlib import ExitStack
from pathlib import Path

from ..boards import BoardProfile, load_profile
from . import esp, firmware, fsimage, uf2, virtual
from .errors import UnsupportedBoardError
from .model import FlashConfig, FlashResult, Progress


def flash(
    board: str,
    port: str | None,
    firmware_file: Path | None,
    *,
    config: FlashConfig | None = None,
    progress: Progress | None = None,
) -> FlashResult:
    """Flash MicroPython and the framework onto `board` (a profile name) at `port`.

    ESP32 boards: esptool through the ROM loader writes the firmware at 0x0 and a
    littlefs image (framework `.mpy` for the board's arch, `/hm.json`) at the
    profile's `fs_offset`, then checks both by MD5. RP2 boards: the UF2 is copied
    to the BOOTSEL drive; the framework follows over the REPL (`next_step`).
    With no port, a virtual board of that profile is flashed through `RomSim`.
    Raises a `FlashError` subclass whose message says what to do next.
    """
    config = config or FlashConfig()
    profile = load_profile(board)
    started = time.monotonic()
    path = firmware.resolve(profile, firmware_file, config.cache_dir)
    data = path.read_bytes()
    if profile.family == "esp32":
        result = _flash_esp(profile, port, path, data, config, progress)
    elif profile.family == "rp2":
        result = _flash_rp2(profile, port, path, data, config, progress)
    else:
        raise UnsupportedBoardError(
            f"{profile.name} ({profile.mcu}, {profile.family}) is not flashed by harmonia: "
            "flash MicroPython with the vendor's tool, then use `harmonia deploy`"
        )
    return _with_time(result, time.monotonic() - started)


def _flash_esp(
    profile: BoardProfile,
    port: str | None,
    path: Path,
    data: bytes,
    config: FlashConfig,
    progress: Progress | None,
) -> FlashResult:
    firmware.check_esp_image(path, data, profile)
    files = fsimage.board_files(
        profile,
        config.board,
        fsimage.framework_files(profile, config.framework_dir, config.build_dir),
    )
    writes = [
        esp.Write("firmware", 0x0, data),
        esp.Write("filesystem", profile.fs_offset, fsimage.build_image(profile, files)),
    ]
    with ExitStack() as stack:
        target = None
        if port is None:
            name = config.board.name or profile.name
            target = stack.enter_context(virtual.virtual_loader(profile, name, config.virtual_dir))
            port = target.port
        chip, regions, lines = esp.write_esp(profile, port, writes, config, progress)
    next_step = None
    if target is not None:
        virtual.finish(profile, target, reset=config.after == "hard-reset")
        if not target.running:
            next_step = (
                f"start virtual board {target.name} (profile {profile.name}) to boot "
                "from what was flashed"
            )
    return FlashResult(
        board=profile.name,
        port=port,
        method="esptool",
        chip=chip,
        firmware=path,
        regions=regions,
        files=tuple(sorted(files)),
        virtual_board=target.name if target is not None else None,
        image=target.fs_image if target is not None else None,
        next_step=next_step,
        log=lines,
    )


def _flash_rp2(
    profile: BoardProfile,
    port: str | None,
    path: Path,
    data: bytes,
    config: FlashConfig,
    progress: Progress | None,
) -> FlashResult:
    firmware.check_uf2(path, data, profile)
    drive = uf2.pick_drive(profile, port, config.bootsel_dirs)
    uf2.copy_uf2(drive, uf2.uf2_name(path), data, progress)
    files: dict[str, bytes] = {}
    next_step = None
    if config.repl_port is not None:
        files = fsimage.board_files(
            profile,
            config.board,
            fsimage.framework_files(profile, config.framework_dir, config.build_dir),
        )
        uf2.wait_for_port(config.repl_port, config.repl_wait)
        uf2.install_over_repl(config.repl_port, files, progress=progress)
    else:
        next_step = (
            "the board reboots into MicroPython; put the framework on over its REPL: "
            "run this again with --repl-port PORT, or use harmonia deploy"
        )
    return FlashResult(
        board=profile.name,
        port=str(drive.path),
        method="uf2",
        chip=drive.chip or profile.mcu,
        firmware=path,
        files=tuple(sorted(files)),
        next_step=next_step,
    )


def _with_time(result: FlashResult, seconds: float) -> FlashResult:
    from dataclasses import replace

    return replace(result, seconds=round(seconds, 3))
