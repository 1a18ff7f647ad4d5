"""Event subscriptions that must come about with no help from the application: made before
the publisher has the service, through a bridge, across a reload of the service and a reboot
of a publisher behind a bridge (protocol.md 8.5, 8.7)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from harmonia.bus.sync import SyncBus

if TYPE_CHECKING:
    from conftest import FwBoard, FwBus

SERIAL = [{"uart": 1, "baud": 921600}]


def _bridged(fwbus: FwBus, **config: Any) -> tuple[FwBoard, FwBoard, FwBoard]:
    """a (Wi-Fi, with the `offer` service), br (Wi-Fi and UART), s (UART only, behind br)."""
    a = fwbus.board("a", services=["probe", "offer"], **config)
    br = fwbus.board("br", serial=SERIAL, **config)
    s = fwbus.board("s", radio=False, serial=SERIAL, **config)
    fwbus.link(br, s)
    return a, br, s


def _got(fwbus: FwBus, host: SyncBus, board: str, event: list[object], what: str) -> None:
    fwbus.wait_for(lambda: event in host.call(board, "probe.events"), 3, what)


def test_a_subscription_through_a_bridge_made_before_the_service_exists_takes_effect_once_it_does(
        fwbus: FwBus) -> None:
    a, _, s = _bridged(fwbus)
    host = fwbus.host()
    host.wait_for_peers(3, timeout=4, names=["a", "br", "s"])
    aid, sid = fwbus.id_of(a), fwbus.id_of(s)
    fwbus.wait_for(lambda: "a" in host.call("s", "probe.peers"), 4, "s to know a through br")
    # s (behind the bridge) subscribes at a before a offers the service: a refuses
    assert host.call("s", "probe.follow", "late.ping", aid)
    fwbus.wait_for(lambda: host.call("a", "bus.stats")["subscribe_refused"] >= 1, 3,
                   "a to refuse the subscription")
    assert host.call("a", "probe.subscribers", "late.ping") == []
    # a registers it: its digest changes, which s only hears through br's beacons
    assert host.call("a", "offer.late")
    fwbus.wait_for(lambda: host.call("a", "probe.subscribers", "late.ping") == [sid], 3,
                   "s to subscribe again once a has the service")
    assert host.call("a", "probe.emit", "late.ping", 7) == 1
    _got(fwbus, host, "s", ["late.ping", 7, aid], "the event at s")


def test_a_reloaded_service_keeps_its_subscribers_and_an_unregistered_one_sends_nothing(
        fwbus: FwBus) -> None:
    a, _, s = _bridged(fwbus)
    host = fwbus.host()
    host.wait_for_peers(3, timeout=4, names=["a", "br", "s"])
    aid, sid = fwbus.id_of(a), fwbus.id_of(s)
    assert host.call("a", "offer.late")
    fwbus.wait_for(lambda: "a" in host.call("s", "probe.peers"), 4, "s to know a through br")
    assert host.call("s", "probe.follow", "late.ping", aid)
    fwbus.wait_for(lambda: host.call("a", "probe.subscribers", "late.ping") == [sid], 3,
                   "s to subscribe at a")
    # unregistered and registered again in one step: the digest is the same, nobody is told,
    # so the subscription has to stay
    assert host.call("a", "offer.reload")
    assert host.call("a", "probe.emit", "late.ping", 1) == 1
    _got(fwbus, host, "s", ["late.ping", 1, aid], "the event after the reload")
    # gone: a task left running publishes to nobody; back: the subscriber has it again
    assert host.call("a", "offer.drop")
    assert host.call("a", "probe.emit", "late.ping", 2) == 0
    assert host.call("a", "offer.late")
    fwbus.wait_for(lambda: host.call("a", "probe.emit", "late.ping", 3) == 1, 3,
                   "the subscriber back with the service")
    _got(fwbus, host, "s", ["late.ping", 3, aid], "the event after the service came back")
    assert ["late.ping", 2, aid] not in host.call("s", "probe.events")


def test_a_publisher_behind_a_bridge_that_reboots_gets_its_subscribers_back(
        fwbus: FwBus) -> None:
    # open mode: no authenticated frame from s shows a its new boot nonce, only br's beacons do
    a, _, s = _bridged(fwbus, group_key=None)
    host = fwbus.host(key=None)
    host.wait_for_peers(3, timeout=4, names=["a", "br", "s"])
    aid, sid = fwbus.id_of(a), fwbus.id_of(s)
    fwbus.wait_for(lambda: "s" in host.call("a", "probe.peers"), 4, "a to know s through br")
    assert host.call("a", "probe.follow", "probe.tick", sid)
    fwbus.wait_for(lambda: host.call("s", "probe.subscribers", "probe.tick") == [aid], 3,
                   "a to subscribe at s")
    # s reboots faster than a peer is lost; a only hears of it through br's beacons
    s.kill()
    s.start()
    fwbus.wait_for(lambda: host.call("s", "sys.info", timeout=1)["uptime_ms"] < 3000, 5,
                   "s to answer after its reboot")
    fwbus.wait_for(lambda: host.call("s", "probe.emit", "probe.tick", 5) == 1, 3,
                   "a to subscribe at the new s")
    _got(fwbus, host, "a", ["probe.tick", 5, sid], "the event from the new s")
