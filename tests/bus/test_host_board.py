"""The host bus node against the firmware bus on real MicroPython boards (fixtures: conftest.py).

Only the protocol connects the two: the host is `harmonia.bus`, the boards run `hm.app`.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from harmonia.bus import BusNode, Event, NotAuthorised, SerialLink
from harmonia.bus.sync import SyncBus
from harmonia.vboard.hw.client import HardwareClient
from harmonia.vboard.hw.uartpty import UartPty

if TYPE_CHECKING:
    from conftest import FwBus


def test_host_discovers_three_boards_and_calls_sys_info(fwbus: FwBus) -> None:
    boards = [fwbus.board(name) for name in ("a", "b", "c")]

    async def main() -> None:
        host = await BusNode.start("host", address="127.0.0.1", port=fwbus.port, key=fwbus.key)
        try:
            loop = asyncio.get_running_loop()
            start = loop.time()
            await host.wait_for_peers(3, timeout=1.0, names=["a", "b", "c"])
            assert loop.time() - start <= 1.0
            for board in boards:
                peer = host.peer(board.name)
                assert (peer.id, peer.board, peer.link) == (fwbus.id_of(board), "virtual", "udp")
                info = await host.call(board.name, "sys.info", timeout=2.0)
                assert info["name"] == board.name and info["id"] == fwbus.id_of(board)
                assert "probe" in info["services"]
            # the boards know the host as well, by its beacons
            seen = await host.call("a", "bus.peers")
            assert {p["name"] for p in seen} >= {"b", "c", "host"}
        finally:
            await host.stop()

    asyncio.run(main())


def test_host_event_subscription_survives_a_board_reboot(fwbus: FwBus) -> None:
    pub = fwbus.board("pub")
    host = fwbus.host()
    host.wait_for_peers(1, timeout=3, names=["pub"])
    events = host.events("probe.tick", node="pub")
    fwbus.wait_for(lambda: host.call("pub", "probe.emit", "probe.tick", 1) == 1, 3,
             "the host to subscribe at pub")
    event = events.get(timeout=2)
    assert (event.value, event.node, event.source) == (1, "pub", fwbus.id_of(pub))
    old_nonce = host.node.peer("pub").nonce
    pub.kill()
    pub.start()  # a new boot nonce; the host subscribes again on its own
    fwbus.wait_for(lambda: host.call("pub", "probe.emit", "probe.tick", 2) == 1, 4,
             "the host to subscribe at the rebooted pub")
    assert events.get(timeout=2).value == 2
    assert host.peers()[0].nonce != old_nonce


def test_board_calls_a_host_service_and_subscribes_to_its_events(fwbus: FwBus) -> None:
    fwbus.board("a")
    host = fwbus.host()

    class Thermo:
        def read(self, unit: str) -> list[Any]:
            return [21.5, unit]

    host.register("thermo", Thermo(), events=["temp"])
    host.wait_for_peers(1, timeout=3, names=["a"])
    fwbus.wait_for(lambda: "host" in host.call("a", "probe.peers"), 3, "a to know the host")
    assert host.call("a", "probe.call", "host", "thermo.read", ["C"], 2000) == ["ok", [21.5, "C"]]
    ok, info = host.call("a", "probe.call", "host", "sys.info", [], 2000)
    assert ok == "ok" and info["name"] == "host" and "thermo" in info["services"]
    assert host.call("a", "probe.follow", "thermo.temp", None)
    fwbus.wait_for(lambda: host.publish("thermo.temp", 22.0) == 1, 3, "a to subscribe at the host")
    fwbus.wait_for(lambda: ["thermo.temp", 22.0, host.id] in host.call("a", "probe.events"), 2,
             "a to get the host's event")


def test_board_drops_and_counts_a_host_with_the_wrong_key(fwbus: FwBus) -> None:
    fwbus.board("a")
    host = fwbus.host()
    host.wait_for_peers(1, timeout=3, names=["a"])
    before = host.call("a", "bus.stats")["drops"].get("auth", 0)
    intruder = SyncBus.open("intruder", address=fwbus.address(), port=fwbus.port,
                            key=os.urandom(32))
    try:
        fwbus.wait_for(lambda: host.call("a", "bus.stats")["drops"].get("auth", 0) > before, 3,
                 "a to drop the intruder's beacons")
        fwbus.wait_for(lambda: intruder.stats()["drops"].get("auth", 0) >= 1, 3,
                       "the intruder to drop a's beacons")
        assert intruder.peers() == []
    finally:
        intruder.close()


def test_open_mode_host_is_told_it_is_not_authorised(fwbus: FwBus) -> None:
    a = fwbus.board("a")

    async def main() -> None:
        guest = await BusNode.start("guest", address="127.0.0.1", port=fwbus.port, key=None)
        try:
            # The board's keyed beacons are unreadable here: aim at its address directly.
            from harmonia.bus import Route
            from harmonia.bus.peers import BeaconInfo

            assert a.address is not None
            route = Route(guest.links[0], (a.address, fwbus.port))
            guest.peer_table.beacon(fwbus.id_of(a), BeaconInfo(name="a"), route, guest.now())
            with pytest.raises(NotAuthorised):
                await guest.call("a", "sys.info", timeout=2.0)
        finally:
            await guest.stop()

    asyncio.run(main())


def test_host_calls_a_serial_only_board_over_its_uart(fwbus: FwBus, tmp_path: Path) -> None:
    board = fwbus.board("leaf", radio=False, serial=[{"uart": 1, "baud": 115200}])
    cable = UartPty(HardwareClient(board.hub.socket_path), 1, tmp_path / "leaf-uart")
    try:
        async def main() -> None:
            host = await BusNode.start("host", address=None, serial=[str(cable.path)],
                                       baudrate=115200, key=fwbus.key)
            try:
                await host.wait_for_peers(1, timeout=3.0, names=["leaf"])
                peer = host.peer("leaf")
                assert (peer.link, peer.id) == ("serial", fwbus.id_of(board))
                info = await host.call("leaf", "sys.info", timeout=2.0)
                assert info["name"] == "leaf"
                cable.inject(b"\x01\x02 noise from the line \xff\x00\x07\x07")
                assert await host.call("leaf", "probe.add", 40, 2, timeout=2.0) == 42
                got: asyncio.Queue[Event] = asyncio.Queue()
                host.subscribe("probe.tick", got.put_nowait, node="leaf")
                loop = asyncio.get_running_loop()
                deadline = loop.time() + 3.0
                while await host.call("leaf", "probe.emit", "probe.tick", 7) != 1:
                    assert loop.time() < deadline, "host never subscribed at leaf"
                    await asyncio.sleep(0.05)
                assert (await asyncio.wait_for(got.get(), 2.0)).value == 7
                link = host.links[0]
                assert isinstance(link, SerialLink) and sum(link.dropped.values()) >= 1
            finally:
                await host.stop()

        asyncio.run(main())
    finally:
        cable.close()


def test_board_reports_the_host_lost_within_three_seconds(fwbus: FwBus) -> None:
    fwbus.board("a")
    watcher = fwbus.host("watcher")
    watcher.wait_for_peers(1, timeout=3, names=["a"])
    leaving = SyncBus.open("leaving", address=fwbus.address(), port=fwbus.port, key=fwbus.key)
    try:
        fwbus.wait_for(lambda: "leaving" in watcher.call("a", "probe.peers"), 3, "a to know it")
    finally:
        leaving.close()
    gone = time.monotonic()
    fwbus.wait_for(lambda: "leaving" not in watcher.call("a", "probe.peers"), 4, "a to lose it")
    assert time.monotonic() - gone <= 3.0
