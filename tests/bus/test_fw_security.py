"""Firmware bus security and limits: auth tags, replays, open mode, oversize, flooding."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest

from harmonia.bus import TooLarge
from harmonia.codec import HEADER_SIZE, crc16

if TYPE_CHECKING:
    from conftest import FwBus

REQUEST, ERROR = 1, 3


def test_forged_replayed_and_wrong_key_frames_are_rejected_and_counted(fwbus: FwBus) -> None:
    b = fwbus.board("b")
    host = fwbus.host()
    host.wait_for_peers(1, timeout=3, names=["b"])
    dst = fwbus.id_of(b)
    before = host.call("b", "bus.stats")["drops"]
    raw = fwbus.raw()
    good = raw.frame(REQUEST, dst, "probe.add", [1, 2])
    raw.send(good, b)
    assert raw.answer(raw.seq).payload == 3
    raw.send(good, b)  # replayed: the same bytes again
    forged = bytearray(raw.frame(REQUEST, dst, "probe.add", [1, 2]))
    forged[HEADER_SIZE + 1] = 40  # the first argument, changed after sealing
    forged[-2:] = crc16(bytes(forged[:-2])).to_bytes(2, "big")
    raw.send(bytes(forged), b)
    stranger = fwbus.raw(key=os.urandom(32).hex())  # the wrong key
    stranger.send(stranger.frame(REQUEST, dst, "probe.add", [1, 2]), b)
    opened = fwbus.raw(key=None)  # open mode: no trailer at all
    opened.send(opened.frame(REQUEST, dst, "probe.add", [1, 2]), b)
    refused = opened.answer(opened.seq)
    assert refused.header.type == ERROR and refused.auth is None
    assert refused.payload[:2] == [5, "NotAuthorised"]

    def counted() -> bool:
        drops = host.call("b", "bus.stats")["drops"]
        return (drops["auth"] - before["auth"], drops["replay"] - before["replay"]) == (3, 1)

    fwbus.wait_for(counted, 2, "3 auth and 1 replay drops")
    assert host.call("b", "probe.count") == 1  # only the genuine request ran


def test_open_mode_board_says_so_and_refuses_keyed_frames(fwbus: FwBus) -> None:
    b = fwbus.board("b", group_key="")
    assert "OPEN MODE" in b.console()
    host = fwbus.host(key=None)
    host.wait_for_peers(1, timeout=3, names=["b"])
    assert host.call("b", "probe.add", 1, 2) == 3
    assert host.call("b", "sys.info")["open_mode"] is True
    raw = fwbus.raw()  # keyed frames: an open node cannot check them
    raw.send(raw.frame(REQUEST, fwbus.id_of(b), "probe.add", [1, 2]), b)
    fwbus.wait_for(lambda: host.call("b", "bus.stats")["drops"]["auth"] >= 1, 2, "an auth drop")


def test_oversize_request_gets_the_typed_error(fwbus: FwBus) -> None:
    fwbus.board("a")
    b = fwbus.board("b", max_request=256)
    host = fwbus.host()
    host.wait_for_peers(2, timeout=3, names=["a", "b"])
    with pytest.raises(TooLarge):  # above what b accepts
        host.call("b", "probe.add", "x" * 1000, 1)
    with pytest.raises(TooLarge):  # a result larger than a frame
        host.call("b", "probe.big", 4200)
    fwbus.wait_for(lambda: "b" in host.call("a", "probe.peers"), 3, "a to know b")
    big = host.call("a", "probe.call_blob", fwbus.id_of(b), "probe.add", 4200, 2000)
    assert big[:2] == ["err", "TooLarge"]  # caught by a, the caller: it never left
    small = host.call("a", "probe.call_blob", fwbus.id_of(b), "probe.add", 1000, 2000)
    assert small[:3] == ["err", "TooLarge", "TooLarge"]  # refused by b
    assert host.call("b", "probe.count") == 0
    raw = fwbus.raw()
    oversize = bytes([1, 1, 0, 0, 1]) + bytes(12) + (4900).to_bytes(2, "big") + bytes(4981)
    raw.sock.sendto(oversize, (b.address, fwbus.port))  # a datagram beyond any frame
    fwbus.wait_for(lambda: host.call("b", "bus.stats")["drops"]["codec"] >= 1, 2, "a codec drop")


def test_a_flooding_peer_is_rate_limited_and_others_are_still_served(fwbus: FwBus) -> None:
    b = fwbus.board("b", rate=200, burst=50)
    host = fwbus.host()
    host.wait_for_peers(1, timeout=3, names=["b"])
    heap = host.call("b", "sys.info")["free_heap"]
    raw = fwbus.raw()
    dst = fwbus.id_of(b)
    for i in range(2000):
        raw.send(raw.frame(REQUEST, dst, "probe.add", [i, 1]), b)
    fwbus.wait_for(lambda: host.call("b", "bus.stats")["drops"]["rate"] > 1000, 3, "rate drops")
    assert host.call("b", "probe.add", 2, 2) == 4
    ran = host.call("b", "probe.count")
    assert 50 <= ran < 1000
    assert host.call("b", "sys.info")["free_heap"] > heap // 2
