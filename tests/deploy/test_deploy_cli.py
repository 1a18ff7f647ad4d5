"""`harmonia deploy` on several boards: parallel, one failure stops no other, --json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from deploytools import active_version, run_on

from harmonia.cli import main
from harmonia.vboard import VirtualBoard, VirtualBoardFarm


def test_help_shows_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["deploy", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "examples:" in out and "harmonia deploy vb1" in out and "--src" in out


def test_parallel_deploy_with_one_failing_board_deploys_the_others_and_exits_non_zero(
    state_dir: Path, app: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    odd = VirtualBoard("p2", state_dir=state_dir)
    odd.write_files({"boot.py": "print('my own boot')\n"})  # not Harmonia's: refused
    with VirtualBoardFarm(2, state_dir=state_dir, prefix="q") as farm, odd:
        names = ["q1", "p2", "q2"]
        code = main(["deploy", *names, "--src", str(app), "--state-dir", str(state_dir)])
        captured = capsys.readouterr()
        assert code == 1
        table = captured.out.splitlines()
        assert table[0].split() == [
            "TARGET", "BOARD", "RESULT", "VERSION", "SENT", "DELETED", "TIME"
        ]  # fmt: skip
        rows = {line.split()[0]: line.split() for line in table[1:4]}
        assert rows["q1"][2] == rows["q2"][2] == "deployed"
        assert rows["p2"][2] == "FAILED"
        assert "1 of 3 failed" in captured.err
        assert "p2: the board's /boot.py is your own" in captured.err
        for good in farm:
            assert active_version(good) == rows["q1"][3]
            assert run_on(good, "import app\nprint(app.VERSION)") == "1"
        assert active_version(odd) == "None"

        code = main(["deploy", *names, "--src", str(app), "--state-dir", str(state_dir), "--json"])
        report = json.loads(capsys.readouterr().out)
        assert code == 1 and report["ok"] is False
        by_name = {t["target"]["name"]: t for t in report["targets"]}
        assert [t["target"]["name"] for t in report["targets"]] == names
        assert by_name["p2"]["ok"] is False and by_name["p2"]["error_type"] == "BootFileError"
        for name in ("q1", "q2"):
            result = by_name[name]["result"]
            assert by_name[name]["ok"] and result["changed"] is False and result["sent"] == []
            assert result["version"] == rows["q1"][3]


def test_all_deploys_to_every_running_virtual_board(
    state_dir: Path, app: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with VirtualBoardFarm(3, state_dir=state_dir, prefix="a"):
        code = main(["deploy", "--all", "--src", str(app), "--state-dir", str(state_dir), "-q"])
        assert code == 0
        out = capsys.readouterr().out
        assert {line.split()[0] for line in out.splitlines()[1:]} == {"a1", "a2", "a3"}


def test_an_unknown_target_is_named_with_what_is_running(
    state_dir: Path, app: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with VirtualBoard("here", state_dir=state_dir):
        code = main(["deploy", "nowhere", "--src", str(app), "--state-dir", str(state_dir)])
    assert code == 1
    err = capsys.readouterr().err
    assert "no port or virtual board named 'nowhere'" in err and "here" in err
