"""The parallel runner: every target runs at once, one failure stops no other, and the
CLI's rows draw the runner's events."""

from __future__ import annotations

import io
import time

from harmonia.cli.rows import TargetRows, table
from harmonia.errors import HarmoniaError
from harmonia.parallel import Event, Progress, exit_code, run_parallel
from harmonia.targets import Target

TARGETS = [Target(name=f"t{i}", kind="virtual", port=f"/dev/pts/{i}") for i in range(4)]


def _work(target: Target, progress: Progress) -> int:
    progress("send", 1, 2, "half")
    time.sleep(0.3)
    if target.name == "t2":
        raise HarmoniaError("t2's disk is full: free some space")
    if target.name == "t3":
        raise KeyError("bug")
    progress("send", 2, 2)
    return int(target.name[1:]) * 10


def test_targets_run_at_once_and_a_failure_stops_no_other() -> None:
    events: list[Event] = []
    started = time.monotonic()
    outcomes = run_parallel(TARGETS, _work, on_event=events.append)
    assert time.monotonic() - started < 0.9  # four 0.3 s jobs side by side
    assert [o.target.name for o in outcomes] == ["t0", "t1", "t2", "t3"]
    assert [o.value for o in outcomes] == [0, 10, None, None]
    assert outcomes[2].error == "t2's disk is full: free some space"
    assert outcomes[2].error_type == "HarmoniaError" and outcomes[2].traceback is None
    assert outcomes[3].error is not None and outcomes[3].error.startswith(
        "internal error: KeyError"
    )
    assert outcomes[3].traceback is not None and "KeyError" in outcomes[3].traceback
    assert exit_code(outcomes) == 1 and exit_code(outcomes[:2]) == 0
    kinds = {t.name: [e.kind for e in events if e.target is t] for t in TARGETS}
    assert kinds["t0"] == ["start", "progress", "progress", "done"]
    assert kinds["t2"] == ["start", "progress", "failed"]
    assert outcomes[2].to_json()["ok"] is False


def test_plain_rows_print_one_line_per_stage_and_end() -> None:
    out = io.StringIO()
    rows = TargetRows(TARGETS[:3], out, tty=False)
    run_parallel(TARGETS[:3], _work, on_event=rows)
    rows.close()
    lines = out.getvalue().splitlines()
    assert "t0: send half" in lines
    assert any(line.startswith("t0: done in ") for line in lines)
    assert any(line.startswith("t2: FAILED after ") and "disk is full" in line for line in lines)
    assert not any("\x1b" in line for line in lines)


def test_terminal_rows_redraw_in_place() -> None:
    out = io.StringIO()
    rows = TargetRows(TARGETS[:2], out, tty=True)
    run_parallel(TARGETS[:2], _work, on_event=rows)
    rows.close()
    text = out.getvalue()
    assert "\x1b[2F" in text and "\x1b[2K" in text  # back up two rows, clear each
    last = text.rsplit("\x1b[2F", 1)[-1]
    assert "t0" in last and "done" in last and "t1" in last


def test_table_pads_columns() -> None:
    assert table(("A", "BB"), [("xxx", "y")]).splitlines() == ["A    BB", "xxx  y"]
