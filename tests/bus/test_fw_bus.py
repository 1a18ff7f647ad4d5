"""The firmware bus on real MicroPython processes: discovery, RPC, events, liveness."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest

from harmonia.bus import NoSuchMethod, NoSuchService, RemoteError

if TYPE_CHECKING:
    from conftest import FwBus



def test_three_boards_and_the_host_discover_each_other(fwbus: FwBus) -> None:
    names = ["a", "b", "c"]
    boards = [fwbus.board(n) for n in names]
    host = fwbus.host()
    host.wait_for_peers(3, timeout=3, names=names)
    for board in boards:
        others = sorted(set(names + ["host"]) - {board.name})
        fwbus.wait_for(lambda b=board, o=others: host.call(b.name, "probe.peers") == o, 3,
                       f"{board.name} to know {others}")
    peers = {p.name: p for p in host.peers()}
    assert all(peers[b.name].id == fwbus.id_of(b) for b in boards)
    assert peers["a"].board == "virtual"
    info = host.call("a", "sys.info")
    assert info["name"] == "a" and info["id"] == fwbus.id_of(boards[0])
    assert sorted(info["services"]) == ["bus", "log", "probe", "sys"]  # log: on by default
    listed = host.call("b", "bus.peers")
    assert {p["name"] for p in listed} == {"a", "c", "host"}
    assert all(p["link"] == "udp" and p["state"] == "up" for p in listed)


def test_calls_across_boards_return_results_and_typed_errors(fwbus: FwBus) -> None:
    fwbus.board("a")
    fwbus.board("b")
    host = fwbus.host()
    host.wait_for_peers(2, timeout=3, names=["a", "b"])
    assert host.call("a", "probe.add", 2, 3) == 5
    fwbus.wait_for(lambda: "b" in host.call("a", "probe.peers"), 3, "a to know b")
    assert host.call("a", "probe.call", "b", "probe.add", [20, 22], 2000) == ["ok", 42]
    assert host.call("a", "probe.call", "b", "probe.slow", [30], 2000) == ["ok", "done"]
    assert host.call("a", "probe.call", "b", "probe.fail", [], 2000) == [
        "err", "RemoteError", "ValueError", "bad input 42"]
    assert host.call("a", "probe.call", "b", "probe.nope", [], 2000)[:2] == ["err", "NoSuchMethod"]
    assert host.call("a", "probe.call", "b", "nosvc.x", [], 2000)[:2] == ["err", "NoSuchService"]
    assert host.call("a", "probe.call", "b", "probe.add", [1], 2000)[:2] == ["err", "BadArgs"]
    assert host.call("a", "probe.call", "zz", "probe.add", [1, 2], 2000)[:2] == [
        "err", "NoSuchNode"]
    with pytest.raises(RemoteError) as err:
        host.call("b", "probe.fail")
    assert err.value.type_name == "ValueError"
    with pytest.raises(NoSuchMethod):
        host.call("b", "probe.nope")
    with pytest.raises(NoSuchService):
        host.call("b", "nosvc.x")
    # a board calls the host too
    host.register("calc", type("Calc", (), {"mul": lambda self, a, b: a * b})())
    fwbus.wait_for(lambda: "host" in host.call("a", "probe.peers"), 3, "a to know the host")
    assert host.call("a", "probe.call", "host", "calc.mul", [6, 7], 2000) == ["ok", 42]


def test_events_cross_boards_and_reach_the_host(fwbus: FwBus) -> None:
    fwbus.board("pub")
    fwbus.board("sub", follow=["probe.tick"])
    host = fwbus.host()
    host.wait_for_peers(2, timeout=3, names=["pub", "sub"])
    seen = host.events("probe.tick", node="pub")
    # the subscriber subscribes on its own when it meets the publisher
    fwbus.wait_for(lambda: host.call("pub", "bus.stats")["queues"]["subscribers"] >= 2, 3,
             "sub and host to subscribe at pub")
    assert sorted(host.call("pub", "probe.subscribers", "probe.tick")) == sorted(
        [fwbus.id_of(fwbus.boards["sub"]), host.id])
    assert host.call("pub", "probe.subscribers", "probe.nothing") == []
    assert host.call("pub", "probe.emit", "probe.tick", {"n": 1}) == 2
    event = seen.get(timeout=2)
    assert event.value == {"n": 1} and event.node == "pub"
    got = fwbus.wait_for(lambda: host.call("sub", "probe.events"), 2, "sub to get the event")
    assert got == [["probe.tick", {"n": 1}, fwbus.id_of(fwbus.boards["pub"])]]
    # and the host publishes to a board
    host.register("thermo", object(), events=["temp"])
    assert host.call("sub", "probe.follow", "thermo.temp", None)
    fwbus.wait_for(lambda: host.publish("thermo.temp", 21.5) == 1, 3,
                   "sub to subscribe at the host")

    def got_it() -> bool:
        return ["thermo.temp", 21.5] in [e[:2] for e in host.call("sub", "probe.events")]

    fwbus.wait_for(got_it, 2, "sub to get the host's event")


def test_subscription_to_a_node_named_before_it_joins_is_made_when_it_joins(
    fwbus: FwBus,
) -> None:
    fwbus.board("sub")
    fwbus.board("other")
    host = fwbus.host()
    host.wait_for_peers(2, timeout=3, names=["sub", "other"])
    # "pub" is not on the bus yet: sub names it, and takes its events only
    assert host.call("sub", "probe.follow", "probe.tick", "pub")
    pub = fwbus.board("pub")
    host.wait_for_peers(3, timeout=3, names=["sub", "other", "pub"])
    fwbus.wait_for(lambda: host.call("pub", "probe.emit", "probe.tick", 1) == 1, 3,
                   "sub to subscribe at pub")
    got = fwbus.wait_for(lambda: host.call("sub", "probe.events"), 2, "sub to get pub's event")
    assert got == [["probe.tick", 1, fwbus.id_of(pub)]]
    assert host.call("other", "bus.stats")["queues"]["subscribers"] == 0
    assert host.call("other", "probe.emit", "probe.tick", 2) == 0
    # pub comes back after a reboot: still the node named "pub"
    pub.kill()
    pub.start()
    fwbus.wait_for(lambda: host.call("pub", "probe.emit", "probe.tick", 3) == 1, 4,
                   "sub to subscribe at the restarted pub")
    fwbus.wait_for(lambda: [e[1] for e in host.call("sub", "probe.events")] == [1, 3], 2,
                   "sub to get the restarted pub's event")


def test_retried_request_runs_once(fwbus: FwBus) -> None:
    a = fwbus.board("a")
    b = fwbus.board("b")
    host = fwbus.host()
    host.wait_for_peers(2, timeout=3, names=["a", "b"])
    fwbus.wait_for(lambda: "b" in host.call("a", "probe.peers"), 3, "a to know b")
    # a's call outlives three retransmission gaps (50, 100, 200 ms): b must run it once
    assert host.call("a", "probe.call", "b", "probe.slow", [500], 3000) == ["ok", "done"]
    assert host.call("a", "bus.stats")["retransmits"] >= 3
    assert host.call("b", "probe.count") == 1
    # a retry after the answer went out is answered from the reply cache
    raw = fwbus.raw()
    request = raw.frame(1, fwbus.id_of(b), "probe.add", [1, 2])
    raw.send(request, b)
    first = raw.answer(raw.seq)
    retry = raw.frame(1, fwbus.id_of(b), "probe.add", [1, 2], flags=0x04, seq=raw.seq)
    raw.send(retry, b)
    again = raw.answer(raw.seq)
    assert first.payload == again.payload == 3
    assert host.call("b", "probe.count") == 2
    assert host.call("b", "bus.stats")["reply_cache_hits"] >= 1
    del a


def test_running_call_is_not_run_again_after_many_newer_requests(fwbus: FwBus) -> None:
    b = fwbus.board("b")
    host = fwbus.host()
    host.wait_for_peers(1, timeout=3, names=["b"])
    raw = fwbus.raw()
    slow = raw.frame(1, fwbus.id_of(b), "probe.slow", [600])
    slow_seq = raw.seq
    raw.send(slow, b)
    # more requests than the reply cache holds arrive while the slow call runs
    for i in range(20):
        raw.send(raw.frame(1, fwbus.id_of(b), "probe.add", [i, 1]), b)
        assert raw.answer(raw.seq).payload == i + 1
    retry = raw.frame(1, fwbus.id_of(b), "probe.slow", [600], flags=0x04, seq=slow_seq)
    raw.send(retry, b)
    assert raw.answer(slow_seq, timeout=3.0).payload == "done"
    assert host.call("b", "probe.count") == 21  # 20 adds and the slow call, once


def test_lost_peer_is_reported_and_rejoins_with_its_subscriptions(fwbus: FwBus) -> None:
    pub = fwbus.board("pub")
    sub = fwbus.board("sub", follow=["probe.tick"])
    host = fwbus.host()
    host.wait_for_peers(2, timeout=3, names=["pub", "sub"])
    left = host.events("bus.leave", node="pub")
    fwbus.wait_for(lambda: host.call("pub", "probe.emit", "probe.tick", 1) == 1, 3,
                   "sub to subscribe")
    # the subscriber dies: the publisher reports it lost within 3 s
    sub.kill()
    killed = time.monotonic()
    event = left.get(timeout=4)
    assert event.value["name"] == "sub"
    assert time.monotonic() - killed <= 3.0
    assert "sub" not in host.call("pub", "probe.peers")
    assert host.call("pub", "probe.emit", "probe.tick", 2) == 0
    # it comes back and subscribes again by itself
    sub.start()
    fwbus.wait_for(lambda: host.call("pub", "probe.emit", "probe.tick", 3) == 1, 3,
                   "sub to rejoin")
    fwbus.wait_for(lambda: host.call("sub", "probe.events"), 2, "the event after the restart")
    # the publisher reboots: the subscriber subscribes at its new incarnation
    pub.kill()
    pub.start()
    fwbus.wait_for(lambda: host.call("pub", "probe.emit", "probe.tick", 4) == 1, 4,
             "sub to subscribe at the restarted publisher")
    fwbus.wait_for(lambda: [e[1] for e in host.call("sub", "probe.events")] == [3, 4], 2,
             "sub to get the event of the new publisher")
