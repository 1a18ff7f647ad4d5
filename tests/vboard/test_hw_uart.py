"""UARTs: host to board, board to board over a link that can drop and corrupt bytes."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hwtools import Rig, rig

from harmonia.vboard.hw import Impairment, link_uarts

OPEN = "from machine import UART\nu = UART(1, 115200, timeout=3000, timeout_char=500)"


def test_host_talks_to_a_board_uart(tmp_path: Path) -> None:
    with rig(tmp_path) as r:
        r.client.uart_write(1, b"ping\n")  # before the board opens the port: it waits
        r.exec(OPEN)
        assert r.client.uart_state(1).baudrate == 115200
        assert r.exec("print(u.any(), u.readline())").strip() == "5 b'ping\\n'"
        assert r.exec("u.init(timeout=0)\nprint(u.read())").strip() == "None"  # nothing more
        r.exec("u.write(b'pong')")
        assert r.client.uart_read(1, 4, timeout=5) == b"pong"
        r.client.uart_write(1, b"abc")
        assert r.exec("buf = bytearray(8)\nprint(u.readinto(buf, 3), buf[:3])").strip() \
            == "3 bytearray(b'abc')"


@contextlib.contextmanager
def two_boards(tmp_path: Path) -> Iterator[tuple[Rig, Rig]]:
    with rig(tmp_path, name="a") as a, rig(tmp_path, name="b") as b:
        a.exec(OPEN)
        b.exec(OPEN)
        yield a, b


def test_two_boards_exchange_bytes_over_linked_uarts(tmp_path: Path) -> None:
    with two_boards(tmp_path) as (a, b):
        link = link_uarts(a.client, 1, b.client, 1)
        a.exec("u.write(b'hello from a\\n')")
        assert b.exec("print(u.readline())").strip() == "b'hello from a\\n'"
        b.exec("u.write(b'hi a\\n')")
        assert a.exec("print(u.readline())").strip() == "b'hi a\\n'"
        stats = link.stats()
        assert stats.sent == {"a>b": 13, "b>a": 5}
        link.close()
        a.exec("u.write(b'lost')")  # no wire any more: nothing comes within 0.2 s
        assert b.exec("u.init(timeout=200)\nprint(u.read(4))").strip() == "None"


DATA = bytes(range(256))


def send(a: Rig, b: Rig, n: int) -> bytes:
    """A sends DATA; what B reads of it, n bytes at most."""
    a.exec("u.write(bytes(range(256)))")
    out = b.exec(f"got = u.read({n})\nprint(got.hex() if got else '')").strip()
    return bytes.fromhex(out)


def test_link_drops_and_corrupts_as_configured_and_heals(tmp_path: Path) -> None:
    with two_boards(tmp_path) as (a, b):
        link = link_uarts(a.client, 1, b.client, 1, drop=0.2, corrupt=0.1, seed=7)
        model = Impairment(0.2, 0.1, seed="7/a>b")  # the same seeded damage, on the host

        expected = model.apply(DATA)
        got = send(a, b, len(expected))
        assert got == expected
        assert len(got) < len(DATA) and got != DATA
        stats = link.stats()
        assert stats.dropped["a>b"] == len(DATA) - len(got) == model.dropped
        assert stats.corrupted["a>b"] == model.corrupted > 0

        link.heal()
        model.set(drop=0.0, corrupt=0.0)
        assert send(a, b, 256) == DATA

        link.set(corrupt=1.0, direction="a>b")  # every byte one flipped bit
        got = send(a, b, 256)
        assert len(got) == 256 and all(x != y for x, y in zip(got, DATA, strict=True))
        b.exec("u.write(b'clean')")  # the other direction is untouched
        assert a.exec("print(u.read(5))").strip() == "b'clean'"


def test_impairment_is_deterministic_per_seed() -> None:
    one, two, other = Impairment(0.3, 0.3, seed=1), Impairment(0.3, 0.3, seed=1), Impairment(
        0.3, 0.3, seed=2
    )
    assert one.apply(DATA) == two.apply(DATA)
    assert Impairment(0.3, 0.3, seed=1).apply(DATA) != other.apply(DATA)
    assert Impairment(drop=1.0).apply(DATA) == b""
    assert Impairment().apply(DATA) == DATA
    with pytest.raises(ValueError, match="probability"):
        Impairment(drop=1.5)


ECHO = """
import asyncio
from machine import UART

async def main():
    u = UART(2, 9600)
    r, w = asyncio.StreamReader(u), asyncio.StreamWriter(u, {})
    print("<listening>")
    while True:
        line = await r.readline()
        w.write(line.upper())
        await w.drain()

asyncio.run(main())
"""


def test_asyncio_streams_wait_on_a_uart(tmp_path: Path) -> None:
    with rig(tmp_path, ECHO) as r:
        r.proc.wait_output("<listening>")
        for word in (b"abc\n", b"second line\n"):
            r.client.uart_write(2, word)
            assert r.client.uart_read(2, until=b"\n", timeout=5) == word.upper()


def test_asyncio_reads_bytes_that_any_has_already_counted(tmp_path: Path) -> None:
    """any() moves bytes into the UART's receive buffer; a stream wait must still see
    them (and then wait on the stream again once they are read)."""
    with rig(tmp_path) as r:
        r.exec(OPEN)
        r.client.uart_write(1, b"one\ntwo\n")
        later = threading.Timer(0.3, r.client.uart_write, (1, b"three"))
        later.start()
        out = r.exec("""
            import asyncio
            while u.any() < 8:
                pass
            async def main():
                s = asyncio.StreamReader(u)
                first = await asyncio.wait_for(s.readline(), 2)
                second = await asyncio.wait_for(s.readline(), 2)
                buf = bytearray(8)
                third = await asyncio.wait_for(s.readinto(buf), 3)
                return first, second, buf[:third]
            print(asyncio.run(main()))
        """)
        later.join()
        assert out.strip() == "(b'one\\n', b'two\\n', bytearray(b'three'))"
