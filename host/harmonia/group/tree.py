"""The service tree deployed to every member: the modules of every role, from `src`.

Every member gets every role's code, so a role can move to any member that fits it
without a deploy in the middle of a failover."""

from __future__ import annotations

import shutil
from pathlib import Path

from .manifest import Manifest, module_file


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
