"""Host bus nodes over UDP loopback: discovery, calls, typed errors, events, liveness."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import pytest

from harmonia.bus import (
    BadArgs,
    BusNode,
    Busy,
    CallTimeout,
    DiscoveryTimeout,
    Event,
    NoSuchMethod,
    NoSuchNode,
    NoSuchService,
    RemoteError,
    TooLarge,
    current_call,
)
from harmonia.bus.testing import asyncio_test, free_udp_port, running_nodes
from harmonia.errors import HarmoniaError

KEY = os.urandom(32)


class Calc:
    """A user service with sync, async and failing methods."""

    def __init__(self) -> None:
        self.runs = 0

    def add(self, a: int, b: int) -> int:
        self.runs += 1
        return a + b

    async def slow(self, seconds: float) -> str:
        self.runs += 1
        await asyncio.sleep(seconds)
        return "done"

    def fail(self) -> None:
        raise ValueError("bad input 42")

    def big(self, size: int) -> bytes:
        return bytes(size)

    def whoami(self) -> int:
        call = current_call()
        assert call is not None
        return call.src


async def until(predicate: Any, timeout: float = 3.0) -> None:
    """Wait for a condition the bus makes true in the background."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


@asyncio_test
async def test_two_nodes_discover_each_other_within_a_second() -> None:
    async with running_nodes(2, key=KEY) as (a, b):
        loop = asyncio.get_running_loop()
        start = loop.time()
        await a.wait_for_peers(1, timeout=1.0, names=["node1"])
        await b.wait_for_peers(1, timeout=1.0, names=["node0"])
        assert loop.time() - start < 1.0
        (peer,) = a.peers()
        assert (peer.id, peer.name, peer.board, peer.link) == (b.id, "node1", "host", "udp")
        assert peer.nonce == b.nonce


@asyncio_test
async def test_calls_both_ways_sync_and_async() -> None:
    async with running_nodes(2, key=KEY) as (a, b):
        a.register("calc", Calc())
        b.register("calc", Calc())
        await a.wait_for_peers(1, 2.0)
        await b.wait_for_peers(1, 2.0)
        assert await a.call("node1", "calc.add", 2, 3) == 5
        assert await b.call(a.id, "calc.add", 40, 2) == 42
        assert await a.call("node1", "calc.slow", 0.01) == "done"
        assert await a.call("node1", "calc.whoami") == a.id
        info = await a.call("node1", "sys.info")
        assert info["name"] == "node1" and "calc" in info["services"]
        services = {s[0]: s for s in await a.call("node1", "sys.services")}
        assert "add" in services["calc"][2]
        peers = await b.call("node0", "bus.peers")
        assert [p["name"] for p in peers] == ["node1"]


@asyncio_test
async def test_call_errors_are_typed_and_say_what_to_do() -> None:
    async with running_nodes(2, key=KEY) as (a, b):
        b.register("calc", Calc())
        await a.wait_for_peers(1, 2.0)
        with pytest.raises(NoSuchService, match="sys.services"):
            await a.call("node1", "nosuch.thing")
        with pytest.raises(NoSuchMethod):
            await a.call("node1", "calc.nosuch")
        with pytest.raises(RemoteError, match="ValueError: bad input 42") as info:
            await a.call("node1", "calc.fail")
        assert (info.value.type_name, info.value.remote_message) == ("ValueError", "bad input 42")
        with pytest.raises(BadArgs):
            await a.call("node1", "calc.add", 1)
        with pytest.raises(BadArgs, match="wire form"):
            await a.call("node1", "calc.add", object(), 1)
        with pytest.raises(NoSuchNode, match="wait_for_peers"):
            await a.call("ghost", "sys.info")
        for error in (NoSuchService, RemoteError, CallTimeout, NoSuchNode):
            assert issubclass(error, HarmoniaError)


@asyncio_test
async def test_oversize_request_and_result_are_too_large() -> None:
    async with running_nodes(2, key=KEY) as (a, b):
        b.register("calc", Calc())
        await a.wait_for_peers(1, 2.0)
        with pytest.raises(TooLarge, match="send less"):
            await a.call("node1", "calc.add", bytes(5000), 1)
        with pytest.raises(TooLarge):
            await a.call("node1", "calc.big", 5000)
        assert len(await a.call("node1", "calc.big", 3000)) == 3000


@asyncio_test
async def test_retried_request_runs_once_while_running() -> None:
    async with running_nodes(2, key=KEY) as (a, b):
        calc = Calc()
        b.register("calc", calc)
        await a.wait_for_peers(1, 2.0)
        assert await a.call("node1", "calc.slow", 0.4, timeout=3.0) == "done"
        assert a.stats()["retransmits"] >= 3  # at 50, 100 and 200 ms
        assert calc.runs == 1


@asyncio_test
async def test_retried_request_after_a_lost_answer_comes_from_the_reply_cache() -> None:
    async with running_nodes(2, key=KEY) as (a, b):
        calc = Calc()
        b.register("calc", calc)
        await a.wait_for_peers(1, 2.0)
        link = b.links[0]
        real_send = link.send
        lost: list[bytes] = []

        def lossy(frame: bytes, addr: Any = None) -> bool:
            if frame[1] == 2 and not lost:  # the first RESPONSE never arrives
                lost.append(frame)
                return True
            return real_send(frame, addr)

        link.send = lossy  # type: ignore[method-assign]
        assert await a.call("node1", "calc.add", 1, 2) == 3
        assert lost and calc.runs == 1
        assert b.stats()["reply_cache_hits"] == 1


@asyncio_test
async def test_call_to_a_silent_node_times_out() -> None:
    async with running_nodes(2, key=KEY) as (a, b):
        b.register("calc", Calc())
        await a.wait_for_peers(1, 2.0)
        b.links[0].send = lambda frame, addr=None: True  # type: ignore[method-assign]
        loop = asyncio.get_running_loop()
        start = loop.time()
        with pytest.raises(CallTimeout, match="longer timeout"):
            await a.call("node1", "calc.add", 1, 2, timeout=0.3)
        assert 0.3 <= loop.time() - start < 0.5


@asyncio_test
async def test_flooding_caller_gets_busy() -> None:
    async with running_nodes(2, key=KEY) as (a, b):
        b.register("calc", Calc())
        await a.wait_for_peers(1, 2.0)
        calls = [a.call("node1", "calc.slow", 0.3) for _ in range(24)]
        results = await asyncio.gather(*calls, return_exceptions=True)
        assert results.count("done") == 16
        assert all(isinstance(r, Busy) for r in results if r != "done")
        assert b.stats()["drops"]["busy"] == 8


@asyncio_test
async def test_events_reach_subscribers_by_callback_and_iterator() -> None:
    async with running_nodes(3, key=KEY) as (a, b, c):
        c.register("sensor", Calc(), events=["temp"])
        await a.wait_for_peers(2, 2.0)
        await b.wait_for_peers(2, 2.0)
        got: asyncio.Queue[Event] = asyncio.Queue()
        a.subscribe("sensor.temp", got.put_nowait)
        stream = b.events("sensor.temp", node="node2")
        await until(lambda: len(c.publisher.subscribers("sensor.temp")) == 2)
        assert c.publish("sensor.temp", 21.5) == 2
        event = await asyncio.wait_for(got.get(), 1.0)
        assert (event.topic, event.value, event.node, event.source) == (
            "sensor.temp", 21.5, "node2", c.id)
        assert (await stream.get(1.0)).value == 21.5
        stream.cancel()
        await until(lambda: c.publisher.subscribers("sensor.temp") == [a.id])


@asyncio_test
async def test_silent_peer_is_lost_and_rejoins_with_its_subscriptions() -> None:
    port = free_udp_port()
    async with running_nodes(1, port=port, key=KEY) as (a,):
        pub = await BusNode.start("pub", address="127.0.0.9", port=port, key=KEY, node_id=0x5EED)
        try:
            got: asyncio.Queue[Event] = asyncio.Queue()
            a.subscribe("pub.tick", got.put_nowait)
            await until(lambda: pub.publisher.subscribers("pub.tick") == [a.id])
            loop = asyncio.get_running_loop()
            left: list[float] = []
            a.peer_table.on_leave.append(lambda peer: left.append(loop.time() - peer.last_seen))
            await pub.stop()
            await until(lambda: bool(left), timeout=3.5)
            assert 2.5 <= left[0] <= 3.0  # silent 2.5 s: lost, well within 3 s
        finally:
            await pub.stop()
        pub = await BusNode.start("pub", address="127.0.0.9", port=port, key=KEY, node_id=0x5EED)
        try:
            await until(lambda: pub.publisher.subscribers("pub.tick") == [a.id], timeout=2.0)
            pub.publish("pub.tick", 1)
            assert (await asyncio.wait_for(got.get(), 1.0)).value == 1
        finally:
            await pub.stop()


@asyncio_test
async def test_publisher_reboot_restores_subscription() -> None:
    port = free_udp_port()
    async with running_nodes(1, port=port, key=KEY) as (a,):
        rebooted: list[int] = []
        a.peer_table.on_reboot.append(lambda peer: rebooted.append(peer.id))
        pub = await BusNode.start("pub", address="127.0.0.9", port=port, key=KEY, node_id=0x5EED)
        got: asyncio.Queue[Event] = asyncio.Queue()
        a.subscribe("pub.tick", got.put_nowait)
        await until(lambda: pub.publisher.subscribers("pub.tick") == [a.id])
        await pub.stop()  # back well within 2.5 s: seen as a new boot nonce, not a loss
        pub = await BusNode.start("pub", address="127.0.0.9", port=port, key=KEY, node_id=0x5EED)
        try:
            await until(lambda: pub.publisher.subscribers("pub.tick") == [a.id], timeout=2.0)
            assert rebooted == [0x5EED]
            pub.publish("pub.tick", "again")
            assert (await asyncio.wait_for(got.get(), 1.0)).value == "again"
        finally:
            await pub.stop()


@asyncio_test
async def test_subscriber_that_is_lost_is_dropped_by_the_publisher() -> None:
    async with running_nodes(2, key=KEY, lost_after=0.5) as (a, b):
        a.subscribe("node1.tick", lambda event: None)
        await until(lambda: b.publisher.subscribers("node1.tick") == [a.id])
        a.links[0].send = lambda frame, addr=None: True  # type: ignore[method-assign]
        await until(lambda: b.publisher.subscribers("node1.tick") == [], timeout=2.0)


@asyncio_test
async def test_wait_for_peers_times_out_with_advice() -> None:
    async with running_nodes(1, key=KEY) as (a,):
        with pytest.raises(DiscoveryTimeout, match="same port and key"):
            await a.wait_for_peers(1, timeout=0.2)
