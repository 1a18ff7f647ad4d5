"""`deploy()`: one board from source tree to a verified, atomically switched version;
`deploy_many()`: the same on several boards at once."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import serial

from ..boards import load_profile
from ..build import BOARD_PINS
from ..parallel import Event, Outcome, Progress, run_parallel
from ..targets import PortVanishedError, Target, open_serial
from .bundle import (
    BOOT_PATH,
    BOOT_STUB,
    BOOTSTRAP_PATH,
    MANIFEST,
    Builder,
    Bundle,
    digest,
    march_of,
)
from .errors import (
    BoardStoppedError,
    BootFileError,
    DeployError,
    IncompatibleBoardError,
    NoReplError,
    VerifyError,
)
from .session import BoardStatus, Session
from .wire import Item, escape

PINS_PATH = f"/{BOARD_PINS}"  # the board's pin table, outside every version
MIN_WBITS = 9  # raw deflate windows zlib writes: 512 B ...
MAX_WBITS = 15  # ... to 32 KiB
HEAP_SHARE = 8  # the board's inflate window takes at most 1/8 of its free heap
MIN_WINDOW = 16  # bytes per acknowledged window of the stream
MAX_WINDOW = 16384


@dataclass(frozen=True)
class DeployOptions:
    src: Path | None = None  # source tree; default: the firmware directory
    board: str | None = None  # profile for targets whose board is not known
    baudrate: int = 115200
    window: int = 512  # bytes per acknowledged window of the stream
    compress: bool = True
    restart: bool = True  # soft reset at the end, so main.py runs the new version
    timeout: float = 10.0  # seconds of silence before a board counts as gone
    reconnect_wait: float = 10.0  # seconds to find a vanished port again
    build_dir: Path | None = None
    drivers: tuple[str, ...] = ()  # CircuitPython driver packages to put in the version's lib/


@dataclass(frozen=True)
class DeployResult:
    target: str
    port: str
    board: str | None  # profile name, when known
    march: str
    version: str
    previous: str | None
    changed: bool
    sent: tuple[str, ...] = ()  # files sent (paths inside the version)
    kept: int = 0  # files the board already had
    deleted: tuple[str, ...] = ()  # files the previous version had and this one has not
    payload_bytes: int = 0  # size of the files sent
    wire_bytes: int = 0  # bytes of the stream on the link
    seconds: float = 0.0
    notes: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("sent", "deleted", "notes"):
            data[key] = list(data[key])
        data["seconds"] = round(self.seconds, 3)
        return data


@dataclass(frozen=True)
class Plan:
    items: tuple[Item, ...]
    payload: bytes  # the listed files' bytes, escaped for the wire
    wbits: int  # 0: payload is not compressed
    version: str | None  # None: only files outside the versions change
    sent: tuple[str, ...]
    kept: int
    deleted: tuple[str, ...]
    payload_bytes: int
    need: int  # bytes of free space the new version needs, by a conservative estimate
    files: tuple[tuple[str, bytes], ...] = ()  # the F items' contents, in order


def _quiet(stage: str, done: int = 0, total: int = 0, detail: str = "") -> None:
    pass


class _LinkLost(DeployError):
    """The serial port failed under us (I/O error, device gone)."""


def deploy(
    target: Target,
    options: DeployOptions | None = None,
    *,
    progress: Progress | None = None,
    builder: Builder | None = None,
) -> DeployResult:
    """Deploy the source tree to one board over its serial REPL; see docs/deploy.md.

    When the port vanishes mid-deploy (a reset, a USB re-enumeration) the board is looked
    up again by its identity and the deploy runs once more: it is idempotent, and the
    board boots its previous version until the switch. Raises a DeployError subclass or
    a TargetError whose message says what to do next.
    """
    options = options or DeployOptions()
    if not MIN_WINDOW <= options.window <= MAX_WINDOW:
        raise DeployError(
            f"a window of {options.window} bytes: give {MIN_WINDOW} to {MAX_WINDOW} bytes"
        )
    report = progress or _quiet
    own = builder is None
    builder = builder or Builder(options.src, options.build_dir, options.drivers)
    try:
        try:
            return _deploy(target, options, builder, report)
        except _LinkLost as lost:
            report("reconnect", detail=str(lost))
            again = target.refind(options.reconnect_wait)
            result = _deploy(again, options, builder, report)
            note = f"{target.port} vanished mid-deploy; found the board again at {again.port}"
            return replace(result, notes=(*result.notes, note))
    finally:
        if own:
            builder.close()


def deploy_many(
    targets: Sequence[Target],
    options: DeployOptions | None = None,
    *,
    on_event: Callable[[Event], None] | None = None,
) -> list[Outcome[DeployResult]]:
    """Deploy to every target at once, one build per arch; one failure stops no other."""
    options = options or DeployOptions()
    with Builder(options.src, options.build_dir, options.drivers) as builder:
        return run_parallel(
            targets,
            lambda t, p: deploy(t, options, progress=p, builder=builder),
            on_event=on_event,
        )


def _deploy(
    target: Target, options: DeployOptions, builder: Builder, report: Progress
) -> DeployResult:
    started = time.monotonic()
    report("connect", detail=target.port or "")
    transport = open_serial(target, options.baudrate)
    try:
        session = Session(transport, options.timeout, _health(target))
        session.enter()
        report("probe")
        probe = session.probe()
        march = resolve_march(target, options, probe.mpy)
        report("build", detail=march)
        bundle = builder.bundle(march)
        check_mpy(probe.mpy, bundle)
        session.load_agent(probe, digest(bundle.bootstrap))
        status = session.status()
        if status.boot_kind == "other":
            raise BootFileError(
                "the board's /boot.py is your own and does not boot deployed versions: add "
                "the lines of Harmonia's boot stub (docs/deploy.md) to it, then deploy again"
            )
        board_files = session.manifest() if status.version not in (None, bundle.version) else None
        pins = board_pins(target.profile or options.board)
        plan = make_plan(bundle, status, board_files, builder, options.compress, pins)
        result = DeployResult(
            target=target.name,
            port=target.port or "",
            board=target.profile or options.board,
            march=march,
            version=bundle.version,
            previous=status.version,
            changed=bool(plan.items),
            sent=plan.sent,
            kept=plan.kept,
            deleted=plan.deleted,
            payload_bytes=plan.payload_bytes,
        )
        if plan.items:
            report("send", 0, 1, f"{len(plan.sent)} files")
            switched = session.receive(
                plan,
                options.window,
                lambda done, total: report("send", done, total, f"{len(plan.sent)} files"),
            )
            if switched != bundle.version:
                raise VerifyError(
                    f"the board switched to {switched!r}, not {bundle.version}: deploy again"
                )
            report("verify")
            active = session.reboot()
            if active != bundle.version:
                raise VerifyError(
                    f"after the switch the board boots {active or 'no deployed version'}, "
                    f"not {bundle.version}: check its /boot.py (docs/deploy.md)"
                )
            result = replace(result, wire_bytes=len(plan.payload))
        report("restart" if options.restart else "finish")
        session.finish(options.restart)
    except (serial.SerialException, OSError) as exc:
        raise _LinkLost(f"{target.describe()}: {exc}") from exc
    except DeployError as exc:
        if not isinstance(exc, _LinkLost | BoardStoppedError | NoReplError):
            # leave the board as a deploy that worked would: out of the raw REPL, and
            # restarted into the version it still has
            with contextlib.suppress(serial.SerialException, OSError):
                session.finish(options.restart)
        raise
    finally:
        with contextlib.suppress(serial.SerialException, OSError):
            transport.close()
    return replace(result, seconds=time.monotonic() - started)


def _health(target: Target) -> Callable[[], None] | None:
    """For virtual boards: raise as soon as the board crashed or its supervisor went."""
    if target.kind != "virtual":
        return None
    from ..vboard.state import board_dir, default_state_dir, read_state

    where = board_dir(target.state_dir or default_state_dir(), target.name)

    def alive() -> None:
        state = read_state(where)
        if state is None:
            raise _LinkLost(f"virtual board {target.name} stopped")
        if state.status == "crashed" and state.crash is not None:
            raise BoardStoppedError(
                f"virtual board {target.name} crashed mid-deploy ({state.crash.describe()}); "
                "nothing was switched: reset it (`harmonia vboard reset`) and deploy again"
            )

    return alive


def board_pins(profile: str | None) -> bytes | None:
    """The board's /lib/_boardpins.py (its pin table, for the CircuitPython layer), when
    its profile is known; written per board, since boards of one arch differ in pins."""
    from ..drivers import board_pins_module

    return board_pins_module(load_profile(profile)).encode() if profile else None


def resolve_march(target: Target, options: DeployOptions, mpy: int) -> str:
    reported = march_of(mpy)
    profile_name = target.profile or options.board
    expected = load_profile(profile_name).march if profile_name else None
    if target.kind == "virtual":  # the unix port on this host, whatever board it imitates
        from ..vboard.launch import VIRTUAL_MARCH

        expected = VIRTUAL_MARCH
    if reported and expected and reported != expected:
        raise IncompatibleBoardError(
            f"the board reports arch {reported}, but profile {profile_name} says {expected}: "
            "check which board is on this port"
        )
    march = reported or expected
    if march is None:
        raise IncompatibleBoardError(
            "the board's MicroPython names no native arch and its profile is not known: "
            "give the profile (--board PROFILE; `harmonia boards` lists them)"
        )
    return march


def check_mpy(mpy: int, bundle: Bundle) -> None:
    version, sub = bundle.mpy_version
    board = (mpy & 0xFF, (mpy >> 8) & 3)
    if board[0] != version or (sub is not None and board[1] != sub):
        wrote = f"v{version}" + (f".{sub}" if sub is not None else "")
        raise IncompatibleBoardError(
            f"the board's MicroPython loads .mpy v{board[0]}.{board[1]}, but mpy-cross wrote "
            f"{wrote}: update MicroPython on the board (`harmonia flash`)"
        )


def make_plan(
    bundle: Bundle,
    status: BoardStatus,
    board_files: Mapping[str, tuple[str, int]] | None,
    builder: Builder,
    compress: bool = True,
    pins: bytes | None = None,
) -> Plan:
    """The items that take the board from what it has to `bundle`: files it already has
    (same digest) are kept, the rest sent; plus the bootstrap, the boot stub and the
    board's pin table (`pins`, /lib/_boardpins.py) when stale."""
    wbits = window_bits(status.mem) if compress and status.deflate else 0
    kept: list[str] = []
    send: list[tuple[str, bytes]] = []
    deleted: tuple[str, ...] = ()
    version: str | None = None
    if status.version != bundle.version:
        version = bundle.version
        have = board_files or {}
        for path, data in sorted(bundle.files.items()):
            if path in have and have[path][0] == bundle.hashes[path]:
                kept.append(path)
            else:
                send.append((path, data))
        deleted = tuple(sorted(set(have) - set(bundle.files)))
    sent = tuple(path for path, _ in send)
    if version is not None:
        send.append((MANIFEST, bundle.manifest))
    if status.bootstrap != digest(bundle.bootstrap):
        send.append((BOOTSTRAP_PATH, bundle.bootstrap))
    if status.boot != digest(BOOT_STUB) and status.boot_kind in (None, "ours"):
        send.append((BOOT_PATH, BOOT_STUB))
    if pins is not None and status.pins != digest(pins):
        send.append((PINS_PATH, pins))
    items = [Item("K", path) for path in kept]
    items += [
        Item("F", path, len(data), digest(data) if status.sha else "-") for path, data in send
    ]
    datas = [data for _, data in send]
    if not wbits or not datas:
        payload = b"".join(datas)
    elif len(packed := builder.compressed(datas, wbits)) < sum(map(len, datas)):
        payload = packed
    else:
        payload, wbits = b"".join(datas), 0
    return Plan(
        tuple(items),
        escape(payload),
        wbits,
        version,
        sent,
        len(kept),
        deleted,
        sum(len(bundle.files[p]) for p in sent),
        _need(bundle, status.block) if version else 0,
        tuple(send),
    )


def window_bits(free_heap: int) -> int:
    """The deflate window for a board with this much free heap: the largest that takes
    at most 1/HEAP_SHARE of it (a bigger window compresses better, and costs RAM)."""
    fits = (free_heap // HEAP_SHARE).bit_length() - 1
    return max(MIN_WBITS, min(MAX_WBITS, fits))


def _need(bundle: Bundle, block: int) -> int:
    """Bytes a new version takes on littlefs, erring high: whole blocks for files past
    an eighth of a block (smaller ones live inside their directory's metadata), two
    blocks of metadata per directory, and two blocks to spare."""
    block = max(block, 128)
    sizes = [len(d) for d in bundle.files.values()] + [len(bundle.manifest), len(bundle.bootstrap)]
    blocks = sum(-(-s // (block - 64)) for s in sizes if s > block // 8)
    small = sum(s + 64 for s in sizes if s <= block // 8)
    dirs = {p.rsplit("/", i)[0] for p in bundle.files for i in range(1, p.count("/") + 1)}
    dirs.add("")
    return (blocks + 2 * len(dirs) + 2) * block + small


__all__ = [
    "DeployOptions",
    "DeployResult",
    "Plan",
    "PortVanishedError",
    "deploy",
    "deploy_many",
    "make_plan",
]
