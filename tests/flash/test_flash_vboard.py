"""A virtual board boots from the filesystem region that `harmonia flash` wrote."""

from __future__ import annotations

import json
from pathlib import Path

from harmonia.boards import BoardProfile
from harmonia.flash import BoardConfig, FlashConfig, flash
from harmonia.vboard import VirtualBoard

READ_BACK = (
    "import json, os\n"
    "print(json.dumps(json.load(open('/hm.json'))))\n"
    "print(' '.join(sorted(os.listdir('/lib/hm'))))\n"
)


def _flash(profile: BoardProfile, firmware: Path, framework: Path, state: Path, ssid: str) -> None:
    config = FlashConfig(
        board=BoardConfig(name="c3v", wifi=(ssid, "pw")),
        virtual_dir=state,
        framework_dir=framework,
    )
    flash(profile.name, None, firmware, config=config)


def _boot_view(board: VirtualBoard) -> tuple[dict[str, object], list[str]]:
    config, listing = board.exec(READ_BACK).strip().splitlines()
    return json.loads(config), listing.split()


def test_virtual_board_boots_from_the_flashed_filesystem(
    c3_profile: BoardProfile, c3_firmware: Path, framework_dir: Path, tmp_path: Path
) -> None:
    _flash(c3_profile, c3_firmware, framework_dir, tmp_path, "first")
    with VirtualBoard("c3v", profile=c3_profile.name, state_dir=tmp_path) as board:
        config, listing = _boot_view(board)
        assert config["name"] == "c3v" and config["wifi"] == {"ssid": "first", "key": "pw"}
        assert "__init__.mpy" in listing and "codec" in listing
        # flashing a running virtual board resets it onto the new filesystem
        _flash(c3_profile, c3_firmware, framework_dir, tmp_path, "second")
        config, _ = _boot_view(board)
        assert config["wifi"] == {"ssid": "second", "key": "pw"}


def test_the_circuitpython_layer_imports_on_a_flashed_board(
    c3_profile: BoardProfile, c3_firmware: Path, framework_dir: Path, tmp_path: Path
) -> None:
    """busio, board and the rest land in /lib as modules of their own, with the board's
    pin table beside them, as on a real board flashed the same way."""
    _flash(c3_profile, c3_firmware, framework_dir, tmp_path, "net")
    with VirtualBoard("c3v", profile=c3_profile.name, state_dir=tmp_path) as board:
        out = board.exec(
            "import board, busio, digitalio, microcontroller\n"
            f"print(board.board_id, busio.__file__, board.SCL is board.IO{c3_profile.i2c.scl})"
        )
        assert out.split() == [c3_profile.name, "/lib/busio.mpy", "True"]
