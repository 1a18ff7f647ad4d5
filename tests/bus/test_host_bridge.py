"""A host node bridging UDP and serial (protocol 8.7): a serial-only node is callable from UDP."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest

from harmonia.bus import BusNode, Event, NoSuchNode, Route
from harmonia.bus.peers import BeaconInfo
from harmonia.bus.testing import PtyCable, asyncio_test, free_udp_port

pytestmark = pytest.mark.skipif(os.name != "posix", reason="pty cable needs POSIX")

KEY = os.urandom(32)


class Echo:
    def echo(self, value: Any) -> Any:
        return value


async def until(predicate: Any, timeout: float = 3.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


@asyncio_test
async def test_serial_only_node_is_called_through_a_bridge(tmp_path: Path) -> None:
    port = free_udp_port()
    nodes: list[BusNode] = []
    with PtyCable(tmp_path) as cable:
        try:
            far = await BusNode.start("far", address="127.0.0.2", port=port, key=KEY)
            nodes.append(far)
            bridge = await BusNode.start("bridge", address="127.0.0.3", port=port, key=KEY,
                                         serial=[str(cable.paths[0])], bridge=True)
            nodes.append(bridge)
            leaf = await BusNode.start("leaf", address=None, serial=[str(cable.paths[1])],
                                       key=KEY)
            nodes.append(leaf)
            leaf.register("echo", Echo(), events=["tick"])

            peers = await far.wait_for_peers(2, timeout=3.0, names=["bridge", "leaf"])
            by_name = {p.name: p for p in peers}
            assert by_name["leaf"].link == "bridge" and by_name["leaf"].via == bridge.id
            assert await far.call("leaf", "echo.echo", "across") == "across"
            assert bridge.stats()["forwarded"] >= 2

            got: asyncio.Queue[Event] = asyncio.Queue()
            far.subscribe("echo.tick", got.put_nowait, node="leaf")
            await until(lambda: leaf.publisher.subscribers("echo.tick") == [far.id])
            leaf.publish("echo.tick", 5)
            event = await asyncio.wait_for(got.get(), 1.0)
            assert (event.value, event.source) == (5, leaf.id)
        finally:
            for node in nodes:
                await node.stop()


@asyncio_test
async def test_bridge_without_a_route_answers_no_such_node() -> None:
    port = free_udp_port()
    caller = await BusNode.start("caller", address="127.0.0.2", port=port, key=KEY)
    bridge = await BusNode.start("bridge", address="127.0.0.3", port=port, key=KEY, bridge=True)
    try:
        await caller.wait_for_peers(1, 2.0)
        route = caller.peer(bridge.id).route
        assert route is not None
        caller.peer_table.beacon(0xDEAD, BeaconInfo(name="ghost"), Route(route.link, route.addr),
                                 caller.now())
        with pytest.raises(NoSuchNode, match="no route"):
            await caller.call("ghost", "sys.info", timeout=1.0)
    finally:
        await caller.stop()
        await bridge.stop()
