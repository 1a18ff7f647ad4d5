"""`harmonia vboard`: boards started from the CLI outlive it until `stop`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from vbtools import mpremote

from harmonia.cli import main
from harmonia.vboard import running_boards
from harmonia.vboard.state import pid_alive


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["vboard", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_start_list_logs_reset_stop(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sd = ["--state-dir", str(tmp_path)]
    try:
        code, out, _ = _cli(capsys, "start", "--count", "2", "--name", "fan", *sd)
        assert code == 0
        rows = [line.split() for line in out.splitlines()[1:]]
        assert [r[0] for r in rows] == ["fan1", "fan2"]
        assert all(r[2].startswith("/dev/pts/") and r[3].startswith("127.0.0.") for r in rows)

        code, out, _ = _cli(capsys, "list", "--json", *sd)
        listed = json.loads(out)
        assert code == 0 and {b["name"] for b in listed} == {"fan1", "fan2"}
        pids = [b["pid"] for b in listed] + [b["child_pid"] for b in listed]

        port = listed[0]["port"]
        born = os.stat(port).st_ctime_ns
        mpremote(port, "exec", "print('from the cli test')")
        code, out, _ = _cli(capsys, "logs", listed[0]["name"], *sd)
        assert code == 0 and "from the cli test" in out

        code, out, _ = _cli(capsys, "reset", listed[0]["name"], "--soft", *sd)
        assert code == 0 and "reset" in out

        code, _, err = _cli(capsys, "start", "--name", "fan1", *sd)
        assert code == 1 and "already running" in err
        code, _, err = _cli(capsys, "start", "--board", "nope", *sd)
        assert code == 1 and "unknown board 'nope'" in err
        code, _, err = _cli(capsys, "reset", "ghost", *sd)
        assert code == 1 and "no virtual board named 'ghost'" in err

        code, out, _ = _cli(capsys, "stop", "--all", *sd)
        assert code == 0 and out.split() == ["stopped", "fan1", "stopped", "fan2"]
        assert not any(pid_alive(p) for p in pids)
        # the pty is gone, or the number already serves another program's younger pty
        assert not os.path.exists(port) or os.stat(port).st_ctime_ns != born
        code, out, _ = _cli(capsys, "list", *sd)
        assert "no virtual boards running" in out
    finally:
        for state in running_boards(tmp_path):  # whatever a failed assertion left running
            main(["vboard", "stop", state.name, "--state-dir", str(tmp_path)])
