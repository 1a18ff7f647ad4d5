"""Authentication and replay protection (protocol 1.4, 8.8) between host bus nodes."""

from __future__ import annotations

import asyncio
import os
import socket
from typing import Any

import pytest

from harmonia.bus import BusNode, CallTimeout, ConfigError, NotAuthorised
from harmonia.bus.security import Security, Verdict
from harmonia.bus.testing import asyncio_test, free_udp_port, running_nodes
from harmonia.codec import REQUEST, Header, crc16, decode_frame

KEY = os.urandom(32)
OTHER_KEY = os.urandom(32)


class Counter:
    def __init__(self) -> None:
        self.runs = 0

    def bump(self) -> int:
        self.runs += 1
        return self.runs


def sniff(node: BusNode) -> list[bytes]:
    """Every frame `node` sends, as bytes on the wire."""
    sent: list[bytes] = []
    link = node.links[0]
    real_send = link.send

    def send(frame: bytes, addr: Any = None) -> bool:
        sent.append(frame)
        return real_send(frame, addr)

    link.send = send  # type: ignore[method-assign]
    return sent


def inject(frame: bytes, node: BusNode) -> None:
    """Put raw bytes on the wire to `node`'s unicast address from a stranger's socket."""
    link = node.links[0]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.77", 0))
        sock.sendto(frame, (link.address, link.port))  # type: ignore[attr-defined]


def with_crc(body: bytes) -> bytes:
    return body + crc16(body).to_bytes(2, "big")


async def drops(node: BusNode, reason: str, at_least: int, timeout: float = 2.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while node.stats()["drops"].get(reason, 0) < at_least:
        assert loop.time() < deadline, f"{reason} drops stayed at {node.stats()['drops']}"
        await asyncio.sleep(0.01)


async def paired(a: BusNode, b: BusNode) -> Counter:
    counter = Counter()
    b.register("count", counter)
    await a.wait_for_peers(1, 2.0)
    await b.wait_for_peers(1, 2.0)
    return counter


@asyncio_test
async def test_replayed_request_is_dropped_counted_and_not_run() -> None:
    async with running_nodes(2, key=KEY) as (a, b):
        counter = await paired(a, b)
        sent = sniff(a)
        assert await a.call("node1", "count.bump") == 1
        request = next(f for f in sent if f[1] == REQUEST)
        inject(request, b)
        await drops(b, "replay", 1)
        assert counter.runs == 1
        remote = await a.call("node1", "bus.stats")
        assert remote["drops"]["replay"] == 1


@asyncio_test
async def test_forged_frame_is_dropped_and_counted() -> None:
    async with running_nodes(2, key=KEY) as (a, b):
        counter = await paired(a, b)
        sent = sniff(a)
        await a.call("node1", "count.bump")
        genuine = next(f for f in sent if f[1] == REQUEST)
        body = bytearray(genuine[:-2])
        body[7] ^= 0x01  # tamper with the header (src), keep the trailer
        inject(with_crc(bytes(body)), b)
        forged_tag = genuine[:-10] + bytes(8)
        inject(with_crc(forged_tag), b)
        await drops(b, "auth", 2)
        assert counter.runs == 1
        assert await a.call("node1", "count.bump") == 2  # the genuine sender is unaffected


@asyncio_test
async def test_wrong_key_frames_are_dropped_and_counted() -> None:
    port = free_udp_port()
    async with running_nodes(1, port=port, key=KEY) as (b,):
        b.register("count", Counter())
        intruder = await BusNode.start("intruder", address="127.0.0.9", port=port,
                                       key=OTHER_KEY)
        try:
            await drops(b, "auth", 1)  # its probe beacon
            assert b.peers() == [] and intruder.peers() == []
            intruder.peer_table.beacon(b.id, _info(port), _route(intruder, b), intruder.now())
            with pytest.raises(CallTimeout):
                await intruder.call(b.id, "count.bump", timeout=0.3)
            assert b.stats()["drops"]["auth"] >= 3
        finally:
            await intruder.stop()


@asyncio_test
async def test_open_mode_caller_is_told_it_is_not_authorised() -> None:
    port = free_udp_port()
    async with running_nodes(1, port=port, key=KEY) as (b,):
        b.register("count", Counter())
        guest = await BusNode.start("guest", address="127.0.0.9", port=port, key=None)
        try:
            assert guest.open_mode
            await drops(guest, "auth", 1)  # keyed beacons it cannot check
            assert guest.peers() == []
            guest.peer_table.beacon(b.id, _info(port), _route(guest, b), guest.now())
            with pytest.raises(NotAuthorised, match="group's key"):
                await guest.call(b.id, "count.bump", timeout=1.0)
            assert b.stats()["drops"]["auth"] >= 1
        finally:
            await guest.stop()


@asyncio_test
async def test_open_mode_nodes_talk_without_a_key() -> None:
    async with running_nodes(2, key=None) as (a, b):
        counter = await paired(a, b)
        assert await a.call("node1", "count.bump") == 1
        assert counter.runs == 1


@asyncio_test
async def test_frames_from_a_retired_nonce_are_replays() -> None:
    async with running_nodes(2, key=KEY) as (a, b):
        await paired(a, b)
        sent = sniff(a)
        await a.call("node1", "count.bump")
        old = next(f for f in sent if f[1] == REQUEST)
        a.security.nonce ^= 0x5A5A5A5A  # as after a reboot
        assert await a.call("node1", "count.bump") == 2
        inject(old, b)
        await drops(b, "replay", 1)


def test_replay_window_accepts_reordering_once() -> None:
    sender, receiver = Security(KEY, 7), Security(KEY, 9)
    header = Header(REQUEST, 0, 1, 0x10, 0x20, 1, 2)
    frames = [sender.seal(header, [n]) for n in range(40)]

    def verdict(i: int) -> Verdict:
        return receiver.check(decode_frame(frames[i]), frames[i])

    assert verdict(5) is Verdict.OK
    assert verdict(3) is Verdict.OK  # late but inside the window
    assert verdict(3) is Verdict.REPLAY
    assert verdict(5) is Verdict.REPLAY
    assert verdict(39) is Verdict.OK
    assert verdict(7) is Verdict.OK  # 32 behind the newest: the window's last slot
    assert verdict(6) is Verdict.REPLAY  # 33 behind: below the window
    other = Security(KEY, 8)
    fresh = other.seal(Header(REQUEST, 0, 1, 0x10, 0x20, 1, 2), [0])
    assert receiver.check(decode_frame(fresh), fresh) is Verdict.NEW_NONCE
    assert verdict(38) is Verdict.REPLAY  # nonce 7 is retired now


def test_bad_keys_are_refused_with_advice() -> None:
    with pytest.raises(ConfigError, match="64 hex digits"):
        BusNode("x", key=b"short")
    with pytest.raises(ConfigError, match="not hex"):
        BusNode("x", key="zz" * 32)
    assert BusNode("x", key=KEY.hex()).security.key == KEY


def _info(port: int) -> Any:
    from harmonia.bus.peers import BeaconInfo

    return BeaconInfo(name="node0", port=port)


def _route(caller: BusNode, callee: BusNode) -> Any:
    from harmonia.bus import Route

    link = callee.links[0]
    return Route(caller.links[0], (link.address, link.port))  # type: ignore[attr-defined]


def test_tag_is_hmac_of_header_payload_nonce_counter_with_hops_zeroed() -> None:
    import hashlib
    import hmac

    from harmonia.codec import set_hops

    sealer = Security(KEY, 0x01020304)
    wire = sealer.seal(Header(REQUEST, 0, 9, 0x10, 0x20, 1, 2), ["x"])
    plen = int.from_bytes(wire[17:19], "big")
    header, payload = wire[:19], wire[19 : 19 + plen]
    nonce, counter, tag = wire[19 + plen : 23 + plen], wire[23 + plen : 27 + plen], wire[-10:-2]
    assert (nonce, counter) == (bytes.fromhex("01020304"), (1).to_bytes(4, "big"))
    assert header[2] & 0x01  # AUTH flag set in the covered header
    expected = hmac.new(KEY, header + payload + nonce + counter, hashlib.sha256).digest()[:8]
    assert tag == expected
    hopped = set_hops(wire, 3)  # a bridge on the way does not invalidate the tag
    assert Security(KEY, 5).check(decode_frame(hopped), hopped) is Verdict.OK
