"""A deploy sends only what changed, deletes what is gone, and the board runs the result."""

from __future__ import annotations

from pathlib import Path

from deploytools import APP_V1, active_version, app_tree, noise, run_on, write_tree

from harmonia.deploy import DeployOptions, deploy
from harmonia.targets import Target, resolve
from harmonia.vboard import VirtualBoard


def _target(board: VirtualBoard, state_dir: Path) -> Target:
    return resolve([board.name], state_dir=state_dir)[0]


def test_first_deploy_sends_every_file_and_the_board_runs_it(
    board: VirtualBoard, state_dir: Path, app: Path
) -> None:
    result = deploy(_target(board, state_dir), DeployOptions(src=app))
    assert result.changed and result.previous is None
    assert set(result.sent) == {
        "app/__init__.mpy",
        "app/util.mpy",
        "app/gone.mpy",
        "data/config.json",
    }
    assert result.kept == 0 and result.deleted == ()
    assert result.march == "x64"
    assert active_version(board) == result.version
    assert run_on(board, "import app, app.util\nprint(app.VERSION, app.util.double(21))") == "1 42"
    read = "import deployed\nprint(open(deployed.path('data/config.json')).read())"
    assert run_on(board, read) == '{"rate": 10}'
    assert app_tree(board, result.version) == sorted(
        [".manifest", "app/__init__.mpy", "app/gone.mpy", "app/util.mpy", "data/config.json"]
    )


def test_a_second_deploy_of_the_same_tree_sends_nothing(
    board: VirtualBoard, state_dir: Path, app: Path
) -> None:
    target = _target(board, state_dir)
    first = deploy(target, DeployOptions(src=app))
    mark = board.console_mark()
    again = deploy(target, DeployOptions(src=app))
    assert not again.changed
    assert again.sent == () and again.payload_bytes == 0 and again.wire_bytes == 0
    assert again.version == again.previous == first.version
    assert "receive(" not in board.logs()[mark:]  # not even an empty stream
    assert active_version(board) == first.version


def test_a_changed_file_alone_is_sent_and_a_removed_one_is_deleted(
    board: VirtualBoard, state_dir: Path, app: Path
) -> None:
    target = _target(board, state_dir)
    first = deploy(target, DeployOptions(src=app))
    files = {k: v for k, v in APP_V1.items() if k != "app/gone.py"}
    files["app/__init__.py"] = 'VERSION = "2"\n'
    write_tree(app, files)
    second = deploy(target, DeployOptions(src=app))
    assert second.changed and second.previous == first.version != second.version
    assert second.sent == ("app/__init__.mpy",)
    assert second.kept == 2  # util.mpy and config.json, copied on the board
    assert second.deleted == ("app/gone.mpy",)
    assert active_version(board) == second.version
    assert run_on(board, "import app\nprint(app.VERSION)") == "2"
    assert "app/gone.mpy" not in app_tree(board, second.version)
    assert run_on(board, "import app.util\nprint(app.util.double(4))") == "8"
    # the version before stays as the fallback; nothing else is left in /app
    listing = run_on(board, "import os\nprint(sorted(os.listdir('/app')))")
    assert listing == str(sorted(["current", "deployed.mpy", first.version, second.version]))


def test_bytes_the_console_treats_specially_arrive_intact_across_window_edges(
    board: VirtualBoard, state_dir: Path, tmp_path: Path
) -> None:
    # one leading byte puts every escaped pair across an even window edge
    tricky = b"A" + b"\x10\x03\x04" * 700 + noise(3000)
    src = write_tree(tmp_path / "tricky", {"blob.bin": tricky, "m.py": "X = 1\n"})
    target = _target(board, state_dir)
    for options in (DeployOptions(src=src, compress=False, window=64), DeployOptions(src=src)):
        write_tree(src, {"blob.bin": tricky + bytes([options.window % 256]), "m.py": "X = 1\n"})
        result = deploy(target, options)
        assert result.sent == ("blob.bin",) or set(result.sent) == {"blob.bin", "m.mpy"}
        got = run_on(
            board,
            "import binascii, deployed\n"
            "print(binascii.hexlify(open(deployed.path('blob.bin'), 'rb').read()).decode())",
        )
        assert bytes.fromhex(got) == tricky + bytes([options.window % 256])


def test_an_existing_user_boot_py_is_refused_before_anything_is_sent(
    state_dir: Path, app: Path
) -> None:
    import pytest

    from harmonia.deploy import BootFileError

    user = VirtualBoard("own", state_dir=state_dir)
    user.write_files({"boot.py": "print('my boot')\n"})
    with user:
        with pytest.raises(BootFileError, match=r"/boot\.py is your own.*docs/deploy\.md"):
            deploy(_target(user, state_dir), DeployOptions(src=app))
        assert run_on(user, "import os\nprint('app' in os.listdir('/'))") == "False"
