"""`SyncBus`: the same node driven from blocking code (CLI, scripts)."""

from __future__ import annotations

import os
import threading

import pytest

from harmonia.bus import BusError, Event, NoSuchMethod
from harmonia.bus.sync import SyncBus
from harmonia.bus.testing import free_udp_port

KEY = os.urandom(32)


class Greeter:
    def hello(self, name: str) -> str:
        return f"hello {name}"


def test_sync_bus_calls_subscribes_and_closes() -> None:
    port = free_udp_port()
    with SyncBus.open("a", address="127.0.0.2", port=port, key=KEY) as a, \
            SyncBus.open("b", address="127.0.0.3", port=port, key=KEY) as b:
        b.register("greet", Greeter(), events=["wave"])
        assert [p.name for p in a.wait_for_peers(1, timeout=2.0)] == ["b"]
        assert a.call("b", "greet.hello", "world") == "hello world"
        with pytest.raises(NoSuchMethod):
            a.call("b", "greet.nosuch")
        seen: list[Event] = []
        got = threading.Event()
        a.subscribe("greet.wave", lambda event: (seen.append(event), got.set()))
        stream = a.events("greet.wave")
        b.wait_for_peers(1, timeout=2.0)
        for _ in range(200):  # subscribe calls run in the background; publish once both landed
            if b.publish("greet.wave", "hi") == 1:
                break
            got.wait(0.01)
        assert got.wait(2.0) and seen[0].value == "hi"
        assert stream.get(timeout=2.0).value == "hi"
        assert a.stats()["frames_in"] > 0
    assert not a._thread.is_alive() and not b._thread.is_alive()
    with pytest.raises(BusError, match="closed"):
        a.call("b", "greet.hello", "again")
