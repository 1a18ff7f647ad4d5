"""The firmware bus on serial links: bridging, garbage on the line, cable and peer coming back."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from harmonia.bus.security import Security
from harmonia.codec import Header, cobs, decode_frame, ident
from harmonia.codec.errors import CodecError

if TYPE_CHECKING:
    from conftest import FwBoard, FwBus

SERIAL = [{"uart": 1, "baud": 921600}]


def _bridged(fwbus: FwBus) -> tuple[FwBoard, FwBoard, FwBoard]:
    a = fwbus.board("a")
    br = fwbus.board("br", serial=SERIAL)
    s = fwbus.board("s", radio=False, serial=SERIAL)
    fwbus.link(br, s)
    return a, br, s


def test_serial_only_board_is_called_through_a_bridge(fwbus: FwBus) -> None:
    a, br, s = _bridged(fwbus)
    host = fwbus.host()
    host.wait_for_peers(3, timeout=4, names=["a", "br", "s"])
    peers = {p.name: p for p in host.peers()}
    assert peers["s"].link == "bridge" and peers["s"].via == fwbus.id_of(br)
    assert host.call("s", "probe.add", 2, 3) == 5
    assert host.call("s", "sys.info")["board"] == "virtual"
    sid, aid = fwbus.id_of(s), fwbus.id_of(a)
    # a Wi-Fi board calls the serial-only one, and the other way round
    fwbus.wait_for(lambda: host.call("a", "probe.call", sid, "probe.add", [4, 4], 2000)
                   == ["ok", 8], 3, "a to reach s through br")
    fwbus.wait_for(lambda: host.call("s", "probe.call", aid, "probe.add", [5, 5], 2000)
                   == ["ok", 10], 3, "s to reach a through br")
    assert host.call("s", "probe.call", 0x12345678, "probe.add", [1, 1], 2000)[:2] == [
        "err", "NoSuchNode"]
    # events from the serial-only board reach the host through the bridge
    ticks = host.events("probe.tick", node="s")
    fwbus.wait_for(lambda: host.call("s", "probe.emit", "probe.tick", 9) == 1, 3,
                   "the host to subscribe at s")
    assert ticks.get(timeout=2).value == 9
    assert host.call("br", "bus.stats")["forwarded"] > 0
    del a


def test_garbage_on_the_serial_line_is_skipped_and_the_next_frame_delivered(
    fwbus: FwBus,
) -> None:
    s = fwbus.board("s", radio=False, serial=SERIAL)
    sid = fwbus.id_of(s)
    me = int.from_bytes(os.urandom(4), "big") | 1
    security = Security(bytes.fromhex(fwbus.key), int.from_bytes(os.urandom(4), "big"))
    received: list[bytes] = []

    def request(seq: int, a: int, b: int) -> bytes:
        header = Header(1, 0, seq, me, sid, ident("probe"), ident("add"))
        return b"\x00" + cobs.encode(security.seal(header, [a, b]))

    def answer(seq: int) -> object:
        def found() -> object:
            data = s.hw.uart_read(1, timeout=0.1)
            received.extend(r for r in data.split(b"\x00") if r)
            for run in received:
                try:
                    frame = decode_frame(cobs.decode(run + b"\x00"))
                except CodecError:
                    continue
                if frame.header.type == 2 and frame.header.seq == seq:
                    return [frame.payload]
            return None

        return fwbus.wait_for(found, 3, f"the answer to request {seq}")[0]

    good = security.seal(Header(1, 0, 99, me, sid, ident("probe"), ident("add")), [1, 1])
    bad_crc = bytearray(cobs.encode(good))
    bad_crc[5] ^= 0x55 if bad_crc[5] not in (0x55, 0) else 0x0F
    cases = [
        bytes(range(1, 200)),  # noise with no delimiter: ended by the next frame's 0x00
        b"\x00" + bytes(bad_crc),  # a frame whose CRC fails
        b"\x05\x01\x02",  # a COBS block that runs past its delimiter
        bytes([0x42]) * 6000,  # a run longer than any encoded frame
    ]
    for seq, garbage in enumerate(cases, start=1):
        s.hw.uart_write(1, garbage + request(seq, seq, 100))
        assert answer(seq) == seq + 100
    security_stats = Header(1, 0, 50, me, sid, ident("bus"), ident("stats"))
    s.hw.uart_write(1, b"\x00" + cobs.encode(security.seal(security_stats, [])))

    def stats() -> object:
        answer_runs = [r for r in s.hw.uart_read(1, timeout=0.1).split(b"\x00") if r]
        received.extend(answer_runs)
        for run in received:
            try:
                frame = decode_frame(cobs.decode(run + b"\x00"))
            except CodecError:
                continue
            if frame.header.seq == 50 and frame.header.type == 2:
                return [frame.payload]
        return None

    st = fwbus.wait_for(stats, 3, "bus.stats over the serial line")[0]
    link = st["links"]["serial:1"]
    assert st["drops"]["crc"] >= 1 and link["garbage"] >= 2
    assert st["executed"] == len(cases)  # the four requests; stats itself is still running


def test_serial_peer_returns_after_the_cable_or_the_board_comes_back(fwbus: FwBus) -> None:
    a = fwbus.board("a")
    br = fwbus.board("br", serial=SERIAL)
    s = fwbus.board("s", radio=False, serial=SERIAL)
    cable = fwbus.link(br, s)
    host = fwbus.host()
    host.wait_for_peers(3, timeout=4, names=["a", "br", "s"])
    # pull the cable: s is lost; plug it back: s returns with no help from anyone
    cable.close()
    fwbus.wait_for(lambda: "s" not in {p.name for p in host.peers()}, 4, "s to be lost")
    fwbus.link(br, s)
    host.wait_for_peers(3, timeout=4, names=["s"])
    fwbus.wait_for(lambda: host.call("s", "probe.add", 1, 2) == 3, 3, "s to answer again")
    # the serial-only board reboots: the bridge meets its new incarnation
    s.kill()
    s.start()
    fwbus.wait_for(lambda: host.call("s", "sys.info", timeout=1)["uptime_ms"] < 3000, 5,
                   "s to answer after its reboot")
    del a
