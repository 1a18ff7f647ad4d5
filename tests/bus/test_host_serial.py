"""Host bus nodes over a serial link (a pty null-modem cable): hello, calls, garbage, reconnect."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from harmonia.bus import BusNode, Event, SerialLink
from harmonia.bus.testing import PtyCable, asyncio_test

pytestmark = pytest.mark.skipif(os.name != "posix", reason="pty cable needs POSIX")

KEY = os.urandom(32)


class Echo:
    def __init__(self) -> None:
        self.runs = 0

    def echo(self, value: Any) -> Any:
        self.runs += 1
        return value


@contextlib.asynccontextmanager
async def serial_pair(cable: PtyCable) -> AsyncIterator[tuple[BusNode, BusNode]]:
    nodes: list[BusNode] = []
    try:
        for name, path in zip(("a", "b"), cable.paths, strict=True):
            nodes.append(await BusNode.start(name, address=None, serial=[str(path)], key=KEY,
                                             baudrate=115200))
        yield nodes[0], nodes[1]
    finally:
        for node in nodes:
            await node.stop()


async def until(predicate: Any, timeout: float = 3.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


def link_of(node: BusNode) -> SerialLink:
    link = node.links[0]
    assert isinstance(link, SerialLink)
    return link


@asyncio_test
async def test_serial_link_hello_then_calls_and_events(tmp_path: Path) -> None:
    with PtyCable(tmp_path) as cable:
        async with serial_pair(cable) as (a, b):
            b.register("echo", Echo(), events=["tick"])
            loop = asyncio.get_running_loop()
            start = loop.time()
            await a.wait_for_peers(1, 1.0)
            await b.wait_for_peers(1, 1.0)
            assert loop.time() - start < 1.0
            (peer,) = a.peers()
            assert (peer.name, peer.link, peer.port) == ("b", "serial", None)
            assert await a.call("b", "echo.echo", [1, "x", b"\x00\x00"]) == [1, "x", b"\x00\x00"]
            big = bytes(range(256)) * 12  # zeros and long runs through COBS
            assert await a.call("b", "echo.echo", big) == big
            got: asyncio.Queue[Event] = asyncio.Queue()
            a.subscribe("echo.tick", got.put_nowait)
            await until(lambda: b.publisher.subscribers("echo.tick") == [a.id])
            b.publish("echo.tick", 7)
            assert (await asyncio.wait_for(got.get(), 1.0)).value == 7


@asyncio_test
async def test_garbage_on_the_line_is_skipped_and_the_next_frame_delivered(
    tmp_path: Path,
) -> None:
    with PtyCable(tmp_path) as cable:
        async with serial_pair(cable) as (a, b):
            echo = Echo()
            b.register("echo", echo)
            await a.wait_for_peers(1, 2.0)
            cable.inject(1, b"\x13\x37 line noise \xff\xfe\x00\x05\x01\x02\x00")  # bad runs
            cable.inject(1, b"\x41\x42\x43 half a frame")  # no delimiter: the next frame flushes
            assert await a.call("b", "echo.echo", "after noise", timeout=1.0) == "after noise"
            assert echo.runs == 1  # serial links do not retransmit: the first frame got through
            dropped = link_of(b).dropped
            assert sum(dropped.values()) >= 2, dropped
            assert b.stats()["drops"] == {}


@asyncio_test
async def test_serial_link_reconnects_when_the_port_returns(tmp_path: Path) -> None:
    with PtyCable(tmp_path) as cable:
        async with serial_pair(cable) as (a, b):
            b.register("echo", Echo())
            await a.wait_for_peers(1, 2.0)
            assert await a.call("b", "echo.echo", 1) == 1
            left: list[str] = []
            a.peer_table.on_leave.append(lambda peer: left.append(peer.name))
            cable.unplug()
            await until(lambda: not link_of(a).up and not link_of(b).up)
            assert left == ["b"] and a.peers() == []
            failed = link_of(a).failed_opens
            await until(lambda: link_of(a).failed_opens >= failed + 3)  # it keeps trying
            cable.plug()
            await until(lambda: link_of(a).up and link_of(b).up)
            await a.wait_for_peers(1, 2.0, names=["b"])
            assert await a.call("b", "echo.echo", 2) == 2
            assert link_of(a).opens == 2
