"""A host subscription made before the board publisher has the service takes effect once it
does: directly (the board's digest in its own beacons) and behind a bridge (the bridge's
"rd" list), protocol.md 8.5 and 8.7 (fixtures: conftest.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import FwBus

SERIAL = [{"uart": 1, "baud": 921600}]


def test_host_subscription_refused_before_the_service_exists_is_made_once_it_does(
        fwbus: FwBus) -> None:
    a = fwbus.board("a", services=["probe", "offer"])
    host = fwbus.host()
    host.wait_for_peers(1, timeout=3, names=["a"])
    events = host.events("late.ping", node="a")
    fwbus.wait_for(lambda: host.call("a", "bus.stats")["subscribe_refused"] >= 1, 3,
                   "a to refuse the subscription")
    assert host.call("a", "probe.subscribers", "late.ping") == []
    assert host.call("a", "offer.late")  # a's digest changes
    fwbus.wait_for(lambda: host.call("a", "probe.emit", "late.ping", 7) == 1, 3,
                   "the host to subscribe again once a has the service")
    event = events.get(timeout=2)
    assert (event.topic, event.value, event.source) == ("late.ping", 7, fwbus.id_of(a))


def test_host_subscription_at_a_bridged_board_is_made_once_it_has_the_service(
        fwbus: FwBus) -> None:
    br = fwbus.board("br", serial=SERIAL)
    s = fwbus.board("s", radio=False, serial=SERIAL, services=["probe", "offer"])
    fwbus.link(br, s)
    host = fwbus.host()
    host.wait_for_peers(2, timeout=4, names=["br", "s"])
    events = host.events("late.ping", node="s")
    fwbus.wait_for(lambda: host.call("s", "bus.stats")["subscribe_refused"] >= 1, 3,
                   "s to refuse the subscription")
    # s's digest changes; the host hears of it only through br's beacons ("rd")
    assert host.call("s", "offer.late")
    fwbus.wait_for(lambda: host.call("s", "probe.emit", "late.ping", 9) == 1, 3,
                   "the host to subscribe again once s has the service")
    event = events.get(timeout=2)
    assert (event.topic, event.value, event.source) == ("late.ping", 9, fwbus.id_of(s))
