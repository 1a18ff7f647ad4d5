"""Deploy over the bus (Wi-Fi, or any link the host node reaches) through the board's
`files` service (firmware/hm/services/files.py): the version is staged next to the running
one, switched in atomically, then run without a reboot (docs/deploy.md).

    with busops.connect(BusOptions(key=KEY)) as bus:
        result = deploy_node(bus, "kitchen", DeployOptions(src=Path("app")))
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import fields
from typing import Any

from ..bus.errors import BusError, CallTimeout, NoSuchService, RemoteError
from ..bus.sync import SyncBus
from ..parallel import Event, Outcome, Progress, run_parallel
from ..targets import Target
from .bundle import Builder
from .core import (
    DeployOptions,
    DeployResult,
    Plan,
    _quiet,
    board_pins,
    check_mpy,
    make_plan,
    resolve_march,
)
from .errors import (
    BoardStoppedError,
    BootFileError,
    DeployError,
    DiskFullError,
    RejectedError,
    VerifyError,
)
from .session import BoardStatus

CHUNK = 3072  # bytes per files.write: the request stays under the bus's 4 KB frame
KEEP_BATCH = 32  # paths per files.keep
CALL_TIMEOUT = 10.0  # seconds for one call (a keep copies files on the board's flash)
REBOOT_WAIT = 30.0


def node_target(name: str) -> Target:
    return Target(name=name, kind="node")


def deploy_node(
    bus: SyncBus,
    node: str | Target,
    options: DeployOptions | None = None,
    *,
    reboot: bool = False,
    progress: Progress | None = None,
    builder: Builder | None = None,
) -> DeployResult:
    """Deploy to the node called `node` on `bus`; hot (no reboot) unless `reboot`."""
    from ..busops.nodes import find_node

    options = options or DeployOptions()
    target = node if isinstance(node, Target) else node_target(node)
    report = progress or _quiet
    own = builder is None
    builder = builder or Builder(options.src, options.build_dir, options.drivers)
    started = time.monotonic()
    try:
        report("find", detail=target.name)
        peer = find_node(bus, target.name)

        def call(method: str, *args: Any, timeout: float = CALL_TIMEOUT) -> Any:
            try:
                return bus.call(peer.id, f"files.{method}", *args, timeout=timeout)
            except NoSuchService:
                raise DeployError(
                    f'node {target.name} offers no files service: add "hm.services.files" '
                    "to services in its /hm.json, or deploy over its serial port"
                ) from None
            except RemoteError as exc:
                raise _remote(exc) from None
            except CallTimeout as exc:
                raise BoardStoppedError(f"node {target.name} stopped answering ({exc})") from None

        report("probe")
        info = call("status")
        known = {f.name for f in fields(BoardStatus)}  # a board's older agent may lack some
        status = BoardStatus(**{k: v for k, v in info.items() if k in known})
        march = resolve_march(target, options, status.mpy)
        report("build", detail=march)
        bundle = builder.bundle(march)
        check_mpy(status.mpy, bundle)
        if status.boot_kind == "other":
            raise BootFileError(
                f"node {target.name}'s /boot.py is your own and does not boot deployed "
                "versions: add the lines of Harmonia's boot stub (docs/deploy.md)"
            )
        board_files = None
        if status.version not in (None, bundle.version):
            board_files = _manifest(call("manifest"))
        plan = make_plan(bundle, status, board_files, builder, compress=False,
                         pins=board_pins(options.board))
        if plan.items:
            _send(call, plan, report)
        report("activate")
        if reboot:
            active = _reboot(bus, peer.id, call)
        elif plan.items or info.get("active") != bundle.version:
            active = call("activate")
        else:
            active = info.get("active")
        if active != bundle.version:
            raise VerifyError(
                f"node {target.name} runs {active or 'no deployed version'}, not "
                f"{bundle.version}: check its /boot.py (docs/deploy.md)"
            )
        return DeployResult(
            target=target.name,
            port=f"bus:{peer.id:08x}",
            board=options.board or status.machine,
            march=march,
            version=bundle.version,
            previous=status.version,
            changed=bool(plan.items),
            sent=plan.sent,
            kept=plan.kept,
            deleted=plan.deleted,
            payload_bytes=plan.payload_bytes,
            wire_bytes=sum(len(d) for _, d in plan.files),
            seconds=time.monotonic() - started,
            notes=("rebooted",) if reboot else ("hot: services reloaded, no reboot",),
        )
    finally:
        if own:
            builder.close()


def deploy_nodes(
    bus: SyncBus,
    names: Sequence[str],
    options: DeployOptions | None = None,
    *,
    reboot: bool = False,
    on_event: Callable[[Event], None] | None = None,
) -> list[Outcome[DeployResult]]:
    """Deploy to several nodes at once over one bus; one failure stops no other."""
    options = options or DeployOptions()
    with Builder(options.src, options.build_dir, options.drivers) as builder:
        return run_parallel(
            [node_target(n) for n in names],
            lambda t, p: deploy_node(bus, t, options, reboot=reboot, progress=p, builder=builder),
            on_event=on_event,
        )


def _send(call: Callable[..., Any], plan: Plan, report: Progress) -> None:
    total = sum(len(d) for _, d in plan.files) or 1
    done = 0
    if plan.version:
        call("begin", plan.version, plan.need)
    try:
        kept = [i.path for i in plan.items if i.op == "K"]
        for at in range(0, len(kept), KEEP_BATCH):
            call("keep", kept[at : at + KEEP_BATCH])
        for (path, data), item in zip(
            plan.files, [i for i in plan.items if i.op == "F"], strict=True
        ):
            call("open", path, len(data), item.sha)
            for at in range(0, len(data), CHUNK):
                call("write", data[at : at + CHUNK])
                done += min(CHUNK, len(data) - at)
                report("send", done, total, f"{len(plan.sent)} files")
            call("close")
        call("commit")
    except BaseException:
        with contextlib.suppress(BusError, DeployError):  # the error that stopped us counts
            call("abort")
        raise


def _reboot(bus: SyncBus, node: int, call: Callable[..., Any]) -> Any:
    """Reset the board (sys.reboot) and wait until it answers again; its active version."""
    bus.call(node, "sys.reboot", timeout=CALL_TIMEOUT)
    time.sleep(0.5)
    deadline = time.monotonic() + REBOOT_WAIT
    while True:
        try:
            return call("status", timeout=1.0).get("active")
        except (BoardStoppedError, BusError):
            if time.monotonic() > deadline:
                raise BoardStoppedError(
                    f"the node did not come back within {REBOOT_WAIT:g} s of its reboot"
                ) from None
            time.sleep(0.2)


def _manifest(text: Any) -> dict[str, tuple[str, int]] | None:
    import json

    try:
        files = json.loads(text)["files"] if text else None
        return {str(k): (str(v[0]), int(v[1])) for k, v in files.items()} if files else None
    except (ValueError, KeyError, TypeError, IndexError, AttributeError):
        return None


def _remote(exc: RemoteError) -> DeployError:
    text = f"{exc.type_name}: {exc.remote_message}"
    if exc.type_name == "OSError" and ("28" in exc.remote_message or "ENOSPC" in text):
        return DiskFullError(
            f"the board's filesystem has no room for the new version ({text}); nothing was "
            "switched: free some space or deploy less"
        )
    return RejectedError(f"the board refused the new version: {text}; nothing was switched")
