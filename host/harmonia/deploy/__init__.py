"""Deploy a source tree to boards: compiled per arch, sent as a diff, switched atomically.

    from harmonia.deploy import deploy, deploy_many, DeployOptions
    from harmonia.targets import resolve
    result = deploy(resolve(["vb1"])[0], DeployOptions(src=Path("app")))
    outcomes = deploy_many(resolve([], all_boards=True))

On-board layout, stream format and failure behaviour: docs/deploy.md.
"""

from .bundle import Builder, Bundle
from .core import DeployOptions, DeployResult, Plan, deploy, deploy_many, make_plan
from .errors import (
    BoardStoppedError,
    BootFileError,
    DeployError,
    DiskFullError,
    IncompatibleBoardError,
    NoReplError,
    RejectedError,
    VerifyError,
)

__all__ = [
    "BoardStoppedError",
    "BootFileError",
    "Builder",
    "Bundle",
    "DeployError",
    "DeployOptions",
    "DeployResult",
    "DiskFullError",
    "IncompatibleBoardError",
    "NoReplError",
    "Plan",
    "RejectedError",
    "VerifyError",
    "deploy",
    "deploy_many",
    "make_plan",
]
