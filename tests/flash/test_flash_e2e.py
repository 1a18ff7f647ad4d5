"""`harmonia flash` end to end through the simulated ROM loader, then the image read back."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from harmonia.boards import BoardProfile
from harmonia.cli import main
from harmonia.drivers import board_pins_module
from harmonia.flash import BoardConfig, FlashConfig, flash, read_image
from harmonia.romsim import RomSim

KEY = "a5" * 32


def _check_image(
    image: Path, profile: BoardProfile, firmware: Path, framework_dir: Path
) -> dict[str, bytes]:
    """The firmware sits at 0x0 and the fs region mounts, holding config and framework."""
    flash_bytes = image.read_bytes()
    assert len(flash_bytes) == profile.flash_size
    fw = firmware.read_bytes()
    assert flash_bytes[: len(fw)] == fw
    region = flash_bytes[profile.fs_offset : profile.fs_offset + profile.fs_size]
    files = read_image(profile, region)
    mpy = sorted(p.relative_to(framework_dir).as_posix() for p in framework_dir.rglob("*.mpy"))
    assert mpy, "the build made no .mpy files"
    for rel in mpy:
        # hm/ as a package under /lib; the CircuitPython layer (lib/) as /lib's own modules
        where = f"/{rel}" if rel.startswith("lib/") else f"/lib/{rel}"
        assert files[where] == (framework_dir / rel).read_bytes()
    assert files["/lib/_boardpins.py"] == board_pins_module(profile).encode()
    return files


def test_cli_flashes_through_the_rom_loader_and_the_fs_mounts(
    romsim: Callable[..., RomSim],
    c3_profile: BoardProfile,
    c3_firmware: Path,
    framework_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sim = romsim()
    code = main(
        [
            "flash", "--board", c3_profile.name, "--port", sim.port,
            "--firmware", str(c3_firmware), "--name", "kitchen", "--group-key", KEY,
            "--wifi", "HomeNet:s3cret:with:colons", "--json",
        ]
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    result = json.loads(out)
    assert result["chip"] == "ESP32-C3"
    assert [r["name"] for r in result["regions"]] == ["firmware", "filesystem"]
    assert result["regions"][1]["offset"] == hex(c3_profile.fs_offset)
    assert "firmware" in err and "filesystem" in err  # the progress rows
    files = _check_image(sim.flash.path, c3_profile, c3_firmware, framework_dir)
    config = json.loads(files["/hm.json"])
    assert config == {
        "board": c3_profile.name,
        "name": "kitchen",
        "group_key": KEY,
        "wifi": {"ssid": "HomeNet", "key": "s3cret:with:colons"},
    }
    assert sorted(result["files"]) == sorted(files)


def test_no_port_flashes_a_virtual_board(
    c3_profile: BoardProfile, c3_firmware: Path, framework_dir: Path, tmp_path: Path
) -> None:
    stages: dict[str, tuple[int, int]] = {}
    result = flash(
        c3_profile.name,
        None,
        c3_firmware,
        config=FlashConfig(
            board=BoardConfig(name="virt"), virtual_dir=tmp_path, framework_dir=framework_dir
        ),
        progress=lambda stage, done, total: stages.__setitem__(stage, (done, total)),
    )
    board_dir = tmp_path / "vboards" / "virt"
    assert result.virtual_board == "virt" and result.image == board_dir / "flash.img"
    assert result.port.startswith("socket://127.0.0.1:")
    assert result.next_step is not None and "start virtual board virt" in result.next_step
    assert set(stages) == {"connect", "firmware", "filesystem"}
    assert all(done == total for done, total in stages.values())
    files = _check_image(board_dir / "rom.bin", c3_profile, c3_firmware, framework_dir)
    assert json.loads(files["/hm.json"])["name"] == "virt"
    # the filesystem region, on its own, is the littlefs image the virtual board mounts
    assert read_image(c3_profile, (board_dir / "flash.img").read_bytes()) == files


def test_uncompressed_flash_over_a_pty(
    romsim: Callable[..., RomSim], c3_profile: BoardProfile, c3_firmware: Path, framework_dir: Path
) -> None:
    sim = romsim(transport="pty")
    config = FlashConfig(compress=False, framework_dir=framework_dir)
    result = flash(c3_profile.name, sim.port, c3_firmware, config=config)
    assert result.port == sim.port
    _check_image(sim.flash.path, c3_profile, c3_firmware, framework_dir)


def test_the_real_micropython_mounts_the_written_filesystem(
    romsim: Callable[..., RomSim],
    c3_profile: BoardProfile,
    c3_firmware: Path,
    framework_dir: Path,
    tmp_path: Path,
) -> None:
    """The unix port's vfs.VfsLfs2, the board's own littlefs, reads what was flashed."""
    from harmonia.paths import micropython_exe

    sim = romsim()
    config = FlashConfig(board=BoardConfig(name="mp"), framework_dir=framework_dir)
    flash(c3_profile.name, sim.port, c3_firmware, config=config)
    fs = tmp_path / "fs.img"
    fs.write_bytes(sim.flash.read(c3_profile.fs_offset, c3_profile.fs_size))
    script = tmp_path / "mount.py"
    script.write_text(MOUNT_SCRIPT.format(path=fs, block=c3_profile.fs_block_size))
    out = subprocess.run(
        [micropython_exe(), "-X", "heapsize=4M", str(script)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    assert json.loads(lines[0])["name"] == "mp"
    assert {"hm", "busio.mpy", "board.mpy", "_boardpins.py"} <= set(lines[1].split())


MOUNT_SCRIPT = """
import os, vfs
class Dev:
    def __init__(self, path, block):
        self.f = open(path, "r+b"); self.bs = block
        self.f.seek(0, 2); self.n = self.f.tell() // block
    def readblocks(self, n, buf, off=0):
        self.f.seek(n * self.bs + off); self.f.readinto(buf)
    def writeblocks(self, n, buf, off=0):
        self.f.seek(n * self.bs + (off or 0)); self.f.write(buf)
    def ioctl(self, op, arg):
        return self.n if op == 4 else self.bs if op == 5 else 0
vfs.mount(vfs.VfsLfs2(Dev("{path}", {block})), "/flash")
print(open("/flash/hm.json").read().replace(chr(10), ""))
print(" ".join(os.listdir("/flash/lib")))
"""


def test_help_shows_an_example() -> None:
    out = subprocess.run(
        [str(Path(sys.executable).with_name("harmonia")), "flash", "--help"],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    assert "examples:" in out
    assert "harmonia flash --board esp32-c3-devkitm-1 --port" in out
    assert "virtual board" in out


def test_two_boards_flash_in_parallel_each_with_its_own_log(
    romsim: Callable[..., RomSim], c3_profile: BoardProfile, c3_firmware: Path, framework_dir: Path
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    sims = [romsim(), romsim()]

    def one(sim: RomSim) -> tuple[str, list[str]]:
        stages: list[str] = []
        config = FlashConfig(board=BoardConfig(name=sim.port), framework_dir=framework_dir)
        result = flash(
            c3_profile.name, sim.port, c3_firmware, config=config,
            progress=lambda stage, done, total: stages.append(stage),
        )  # fmt: skip
        assert any("Hash of data verified" in line for line in result.log)
        return result.port, stages

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(one, sims))
    assert [port for port, _ in results] == [sim.port for sim in sims]
    for sim, (_, stages) in zip(sims, results, strict=True):
        assert stages[0] == "connect" and stages[-1] == "filesystem"
        files = _check_image(sim.flash.path, c3_profile, c3_firmware, framework_dir)
        assert json.loads(files["/hm.json"])["name"] == sim.port
