"""`harmonia demo` runs to the end on virtual boards: the relay follows the temperature,
a board dies and its role moves with no call lost, and nothing is left running."""

from __future__ import annotations

from pathlib import Path

import pytest

from harmonia.bus.testing import free_udp_port
from harmonia.cli import main
from harmonia.demo import Note, run
from harmonia.vboard.state import running_boards


def test_the_demo_runs_to_the_end_and_leaves_nothing_running(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = tmp_path / "state"
    code = main(["demo", "--state-dir", str(state), "--port", str(free_udp_port())])
    out = capsys.readouterr().out
    assert code == 0, out
    for words in ("Three boards become one fan controller", "relay GP15 went high",
                  "role control moved from controller to sensor", "0 lost", "Summary",
                  "every board stopped, nothing left running", "the demo ran to the end"):
        assert words in out, out
    assert running_boards(state) == []


def test_a_failing_demo_still_tears_everything_down(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import harmonia.demo.fan as fan

    def broken(*args: object, **kwargs: object) -> None:
        raise fan.GroupError("the relay caught fire")

    monkeypatch.setattr(fan, "_drive", broken)
    notes: list[Note] = []
    state = tmp_path / "state"
    summary = run(notes.append, state_dir=state, port=free_udp_port())
    assert not summary.ok and summary.error == "the relay caught fire"
    assert summary.rows[0][0] == "group up (3 boards)"
    assert ("teardown", "every board stopped, nothing left running") in summary.rows
    assert any(n.kind == "title" and "Tearing down" in n.text for n in notes)
    assert running_boards(state) == []
