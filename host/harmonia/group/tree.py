"""The service tree deployed to every member: the modules of every role, from `src`.

Every member gets every role's code, so a role can move to any member that fits it
without a deploy in the middle of a failover."""

from __future__ import annotations

import shutil
import time
from collections.abc import Sequence
from pathlib import Path

from ..bus.errors import BusError
from ..bus.sync import SyncBus
from ..deploy import DeployOptions, DeployResult
from ..deploy.bundle import Builder
from ..deploy.errors import BoardStoppedError
from ..deploy.overbus import deploy_node, node_target
from ..parallel import Outcome, Progress, run_parallel
from ..targets import Target
from .manifest import Manifest, module_file

TRIES = 3  # a deploy is idempotent: a member that stopped answering mid-way gets it again


def stage(manifest: Manifest, dest: Path) -> Path:
    """Copy the role modules (a module file, or a package folder) into `dest`."""
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    for role in manifest.roles:
        for module in role.services:
            if module.split(".")[0] == "hm":
                continue  # the framework's own services are on every board already
            found = module_file(manifest.src, module)
            if found is None:
                continue  # the manifest check names it
            top = module.split(".")[0]
            source = manifest.src / top
            if source.is_dir():
                shutil.copytree(source, dest / top, dirs_exist_ok=True,
                                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            else:
                shutil.copy2(source.with_suffix(".py"), dest / f"{top}.py")
    return dest


def deploy_one(bus: SyncBus, name: str, tree: Path, builder: Builder | None = None,
               progress: Progress | None = None) -> DeployResult:
    """Hot-deploy `tree` to member `name` over the bus, again after a transient failure
    (a call that went unanswered), up to TRIES times."""
    for attempt in range(1, TRIES + 1):
        try:
            return deploy_node(bus, name, DeployOptions(src=tree), progress=progress,
                               builder=builder)
        except (BoardStoppedError, BusError):
            if attempt == TRIES:
                raise
            time.sleep(0.2 * attempt)
    raise AssertionError("unreachable")


def deploy_all(bus: SyncBus, names: Sequence[str], tree: Path) -> list[Outcome[DeployResult]]:
    """`tree` to every member at once; one member's failure stops no other."""
    with Builder(tree, None) as builder:
        def work(target: Target, progress: Progress) -> DeployResult:
            return deploy_one(bus, target.name, tree, builder, progress)

        return run_parallel([node_target(n) for n in names], work)
