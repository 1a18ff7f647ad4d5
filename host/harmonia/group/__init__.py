"""Groups of boards that act as one super device: the host's side (docs/group.md).

    from harmonia.group import up, open_group, load

    group, report = up("examples/fan/fan.toml", detach=False)   # idempotent
    print(report.assignment, report.leader)
    group.call("temperature")               # on whichever member holds the role
    for event in group.watch(["temperature"]): ...
    rollout(group, "new/services")          # one member at a time, rolled back on failure
    group.down()

The members' group agents (firmware/hm/group) elect a leader and move roles; the host
hands out the spec and watches. `harmonia group ...` is the CLI skin over this package.
"""

from .calls import GroupEvent, Interface, Watch
from .errors import (
    GroupError,
    GroupNotFound,
    ManifestError,
    MemberUnreachable,
    NoCapableMember,
    Problem,
    RoleUnavailable,
    RolloutFailed,
)
from .handle import Group, open_group
from .health import GroupStatus, MemberView
from .manifest import Manifest, load, parse
from .rollout import RolloutReport, rollout
from .up import UpReport, up

__all__ = [
    "Group",
    "GroupError",
    "GroupEvent",
    "GroupNotFound",
    "GroupStatus",
    "Interface",
    "Manifest",
    "ManifestError",
    "MemberUnreachable",
    "MemberView",
    "NoCapableMember",
    "Problem",
    "RoleUnavailable",
    "RolloutFailed",
    "RolloutReport",
    "UpReport",
    "Watch",
    "load",
    "open_group",
    "parse",
    "rollout",
    "up",
]
