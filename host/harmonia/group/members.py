"""Virtual members: find them running or start them, with their simulated chips and the
UART cables between them. Real members are found on the bus (group.up)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections.abc import Callable
from pathlib import Path

from ..vboard.board import VirtualBoard
from ..vboard.errors import VBoardError
from ..vboard.hw.client import HardwareClient, UartLink
from ..vboard.hw.errors import HardwareError
from ..vboard.launch import start_boards, stop_boards
from ..vboard.state import board_dir, read_state
from .errors import GroupError
from .manifest import Device, Link, Manifest, Member
from .simchip import attach_device
from .spec import MAIN_PY, board_config
from .state import GroupState

Step = Callable[[str, str], None]  # (step, detail) for progress


def config_digest(config: dict[str, object]) -> str:
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:12]


def virtual_boards(manifest: Manifest, state_dir: Path, state: GroupState, key: bytes | None,
                   *, detach: bool, step: Step
                   ) -> tuple[dict[str, VirtualBoard], list[str], dict[str, int]]:
    """Every virtual member running with its current /hm.json; returns the boards and
    what was done (empty: nothing changed) and, for each board started here, where its
    console transcript begins (for wait_started). A board of the same name that the group did
    not start is an error, never taken over."""
    boards: dict[str, VirtualBoard] = {}
    to_start: list[VirtualBoard] = []
    actions: list[str] = []
    started: dict[str, int] = {}
    configs = dict(state.configs)
    for member in (m for m in manifest.members if m.virtual):
        config = board_config(manifest, member, key)
        digest = config_digest(config)
        running = read_state(board_dir(state_dir, member.name)) is not None
        if running and member.name not in state.boards:
            raise GroupError(
                f"a virtual board named {member.name!r} already runs and is not a member of "
                f"group {manifest.name}: stop it (harmonia vboard stop {member.name}) or "
                "rename the member"
            )
        if running:
            board = VirtualBoard.attach(member.name, state_dir)
            if board.profile_name != member.board or configs.get(member.name) != digest:
                step("boards", f"restarting {member.name}: its board or settings changed")
                board.stop()
                running = False
                actions.append(f"restarted {member.name} with new settings")
            else:
                boards[member.name] = board
                continue
        assert member.board is not None
        board = VirtualBoard(member.name, member.board, state_dir=state_dir, detach=detach)
        board.write_files({"main.py": MAIN_PY, "hm.json": json.dumps(config)})
        started[member.name] = board.console_mark()
        configs[member.name] = digest
        boards[member.name] = board
        to_start.append(board)
    if to_start:
        names = ", ".join(b.name for b in to_start)
        step("boards", f"starting {names}")
        try:
            start_boards(to_start)
        except (VBoardError, OSError):
            stop_boards(to_start)
            raise
        actions += [f"started {b.name} ({b.profile_name})" for b in to_start]
        for board in to_start:
            if board.name not in state.boards:
                state.boards.append(board.name)
    state.configs = configs
    return boards, actions, started


def hardware(board: VirtualBoard) -> HardwareClient:
    return board.hardware()


def wire_devices(manifest: Manifest, boards: dict[str, VirtualBoard], step: Step) -> list[str]:
    """Attach each virtual member's simulated chips that are not on its bus yet."""
    actions: list[str] = []
    for member in manifest.members:
        if not member.devices or member.name not in boards:
            continue
        with hardware(boards[member.name]) as hw:
            present = {(bus, addr) for bus, addr, _ in hw.i2c_devices()}
            for device in member.devices:
                if (device.bus, device.address) in present:
                    continue
                step("devices", f"{device.model} on {member.name}")
                attach_device(hw, device)
                actions.append(_device_text(member, device))
    return actions


def _device_text(member: Member, device: Device) -> str:
    return (f"attached a simulated {device.model} to {member.name} "
            f"(I2C bus {device.bus}, 0x{device.address:02x})")


def wire_links(manifest: Manifest, boards: dict[str, VirtualBoard], state: GroupState,
               step: Step, started: dict[str, int]) -> list[str]:
    """Make each [[links]] cable between virtual members that does not exist yet. A link
    lives in member a's hardware hub, so it lasts as long as a's supervisor does."""
    actions: list[str] = []
    kept: list[dict[str, object]] = []
    for link in manifest.links:
        if link.a not in boards or link.b not in boards:
            continue  # a cable to a real board is real
        a, b = boards[link.a], boards[link.b]
        for board in (a, b):  # a cable made before the bus opens its UART may not come up
            wait_started(board, started.get(board.name, 0))
        pid = a.status().pid
        old = next((x for x in state.links if _same(x, link)), None)
        if old is not None and old.get("pid") == pid and _alive(a, int(str(old["id"]))):
            kept.append(old)
            continue
        step("links", f"{link.a} UART {link.a_uart} <-> {link.b} UART {link.b_uart}")
        with hardware(a) as hw_a, hardware(b) as hw_b:
            made = hw_a.link_uart(link.a_uart, hw_b, link.b_uart)
        kept.append({"a": link.a, "a_uart": link.a_uart, "b": link.b, "b_uart": link.b_uart,
                     "id": made.id, "pid": pid})
        actions.append(f"wired {link.a} UART {link.a_uart} to {link.b} UART {link.b_uart}")
    state.links = kept
    return actions


def wait_started(board: VirtualBoard, since: int = 0, timeout: float = 15.0) -> None:
    """Wait until the board's bus runs ("hm: node" on its console); GroupError, with the
    board's last words, when it does not, at once when main.py ended in a traceback."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            text = board.dir.console_log.read_bytes()[since:].decode("utf-8", "replace")
        except FileNotFoundError:
            text = ""
        if "hm: node" in text:
            return
        ended = "Traceback" in text and text.rstrip().endswith(">>>")
        if ended or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    tail = text[-600:].strip()
    hint = (" It ran out of memory: its profile's heap is too small for the firmware."
            if "MemoryError" in tail else "")
    what = "stopped with an error" if ended else f"did not start its bus within {timeout:g} s"
    raise GroupError(f"member {board.name} {what}.{hint} Its console ends with:\n{tail}")


def _same(saved: dict[str, object], link: Link) -> bool:
    return (saved.get("a"), saved.get("a_uart"), saved.get("b"), saved.get("b_uart")) == (
        link.a, link.a_uart, link.b, link.b_uart)


def _alive(board: VirtualBoard, link_id: int) -> bool:
    with contextlib.suppress(HardwareError, VBoardError, OSError), hardware(board) as hw:
        UartLink(hw, link_id).stats()
        return True
    return False


def attach_boards(names: list[str], state_dir: Path) -> dict[str, VirtualBoard]:
    """The group's virtual boards that still run (by name)."""
    boards: dict[str, VirtualBoard] = {}
    for name in names:
        with contextlib.suppress(VBoardError):
            boards[name] = VirtualBoard.attach(name, state_dir)
    return boards
