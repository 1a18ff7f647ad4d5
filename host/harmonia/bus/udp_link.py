"""UDP link: one frame per datagram, multicast discovery (docs/protocol.md 2.2, 8.2).

With a specific address (e.g. `127.0.0.5`) the node binds its unicast socket to
`(address, port)` and a second socket to `(group, port)` with address reuse, so
several nodes on one machine each get every beacon and only their own unicast.
With the wildcard address one socket does both. Where joining the group fails,
beacons go to the broadcast address instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket

from ..codec import MAX_FRAME, check_frame
from ..codec.errors import CodecError
from .errors import LinkError
from .link import Address, Link

log = logging.getLogger(__name__)

DEFAULT_PORT = 47770
DEFAULT_GROUP = "239.255.77.70"


class _Receiver(asyncio.DatagramProtocol):
    def __init__(self, link: UdpLink) -> None:
        self.link = link
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)

    def datagram_received(self, data: bytes, addr: tuple[str | int, int]) -> None:
        self.link._received(data, addr)

    def error_received(self, exc: Exception) -> None:
        # ICMP "port unreachable" after sending to a peer that went away: not fatal.
        self.link._drop("icmp")


class UdpLink(Link):
    """Unicast on `(address, port)` plus the multicast group on the same port."""

    kind = "udp"
    datagram = True

    def __init__(
        self, address: str = "0.0.0.0", port: int = DEFAULT_PORT, group: str = DEFAULT_GROUP
    ) -> None:
        super().__init__(f"udp:{address}:{port}")
        self.address = address
        self.port = port
        self.group = group
        self.multicast = True
        self._unicast: asyncio.DatagramTransport | None = None
        self._listener: asyncio.DatagramTransport | None = None
        self._receivers: list[_Receiver] = []

    @property
    def wildcard(self) -> bool:
        """True when bound to every interface (`0.0.0.0`)."""
        return ipaddress.ip_address(self.address).is_unspecified

    async def _open(self, loop: asyncio.AbstractEventLoop) -> None:
        unicast = self._unicast_socket()
        listener = None if self.wildcard else self._group_socket()
        self.multicast = self._join(listener or unicast)
        if not self.multicast:
            log.warning("%s: cannot join %s; beaconing to broadcast instead", self.name, self.group)
        self._unicast, receiver = await loop.create_datagram_endpoint(
            lambda: _Receiver(self), sock=unicast
        )
        self._receivers = [receiver]
        if listener is not None:
            self._listener, receiver = await loop.create_datagram_endpoint(
                lambda: _Receiver(self), sock=listener
            )
            self._receivers.append(receiver)
        self._set_state(True)

    def _unicast_socket(self) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            if self.wildcard:  # share the port with multicast listeners, not with unicast
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.address, self.port))
        except OSError as exc:
            sock.close()
            raise LinkError(
                f"cannot bind UDP {self.address}:{self.port} ({exc.strerror}): another node or "
                "program uses it; give each node on one machine its own address or port"
            ) from None
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        if not self.wildcard:
            # On loopback this is what makes multicast leave at all (protocol 8.2).
            iface = socket.inet_aton(self.address)
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, iface)
        sock.setblocking(False)
        return sock

    def _group_socket(self) -> socket.socket | None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        _reuse(sock)
        try:
            sock.bind((self.group, self.port))
        except OSError:
            try:
                sock.bind(("", self.port))  # platforms that cannot bind a group address
            except OSError as exc:
                sock.close()
                log.warning("%s: no multicast listener (%s)", self.name, exc)
                return None
        sock.setblocking(False)
        return sock

    def _join(self, sock: socket.socket | None) -> bool:
        if sock is None:
            return False
        iface = "0.0.0.0" if self.wildcard else self.address
        mreq = socket.inet_aton(self.group) + socket.inet_aton(iface)
        try:
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
        except OSError:
            return False
        return True

    async def stop(self) -> None:
        for transport in (self._listener, self._unicast):
            if transport is not None:
                transport.close()
        self._listener = self._unicast = None
        # The sockets close on a later loop turn; wait so the port is free on return.
        receivers, self._receivers = self._receivers, []
        await asyncio.gather(*(r.closed for r in receivers))
        self._set_state(False)

    def send(self, frame: bytes, addr: Address = None) -> bool:
        if self._unicast is None or addr is None:
            self._drop("closed" if self._unicast is None else "no_address")
            return False
        try:
            self._unicast.sendto(frame, addr)
        except OSError:
            self._drop("send")
            return False
        return True

    def broadcast(self, frame: bytes) -> bool:
        target = self.group if self.multicast else "255.255.255.255"
        return self.send(frame, (target, self.port))

    def _received(self, data: bytes, addr: tuple[str | int, int]) -> None:
        if len(data) > MAX_FRAME:
            self._drop("OversizeError")
            return
        try:
            check_frame(data)
        except CodecError as exc:
            self._drop(type(exc).__name__)
            return
        self._on_frame(self, data, (str(addr[0]), int(addr[1])))


def _reuse(sock: socket.socket) -> None:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if hasattr(socket, "SO_REUSEPORT"):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
