"""`group deploy`: new service code, one member at a time, each checked healthy before the
next; a broken version is rolled back on the member that failed and the rollout stops."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harmonia.cli import main
from harmonia.group import RolloutFailed, open_group, rollout
from harmonia.group.rollout import RolloutReport
from harmonia.group.testing import GroupLab


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[GroupLab]:
    with GroupLab(tmp_path) as lab:
        yield lab


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_a_rollout_updates_every_member_and_a_broken_version_is_rolled_back(
        lab: GroupLab, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = lab.copy_example("fan")
    control = manifest.parent / "fan_control.py"
    group, first = lab.up(manifest)
    edit(control, '"off_below": self.off_below}', '"off_below": self.off_below, "code": 2}')
    where = ["--state-dir", str(lab.state_dir)]
    group.close()  # one host node per process at a time: the CLI makes its own
    assert main(["group", "deploy", str(manifest), *where]) == 0
    assert "each member checked healthy" in capsys.readouterr().out
    group = open_group(manifest, lab.state_dir)
    lab.groups.append(group)
    status = group.status()
    second = {m.version for m in status.members}
    assert len(second) == 1 and second != {first.version} and status.healthy
    assert group.call("controller")["code"] == 2  # the new code answers, no reboot

    broken = "def register(node):\n    raise RuntimeError('broken')\n"
    edit(control, "def register(node):\n", broken)
    with pytest.raises(RolloutFailed) as caught:
        rollout(group)
    report = caught.value.report
    assert isinstance(report, RolloutReport) and not report.ok
    bad = [m for m in report.members if not m.ok]
    assert [m.name for m in bad] == ["controller"]  # the first member that runs control
    assert bad[0].rolled_back and "did not start" in str(bad[0].error)
    assert "rolled back" in str(caught.value) and "rollout stopped" in str(caught.value)
    status = group.wait_healthy(10, versions=True)
    versions = {m.name: m.version for m in status.members}
    assert versions["controller"] == versions["sensor"] == second.pop()  # back / not reached
    assert group.call("controller")["code"] == 2  # the group kept working throughout
    assert group.state.version == report.previous  # the host still runs the old version
