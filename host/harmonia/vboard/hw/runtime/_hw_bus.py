# mypy: ignore-errors
# Buses of the virtual `machine`: I2C and SPI transfers are calls to the hub,
# where simulated devices answer; a UART is its own byte stream to the hub, so
# select.poll/asyncio wait on a real file descriptor.
#
# A UART's receive path allocates nothing: readinto() reads from the stream into the
# caller's buffer, and any() counts into a buffer of `rxbuf` bytes that the reads take
# from first (the port's ring buffer on a board; any() never counts more than it holds).
# While bytes wait there, select.poll must not wait on the stream's descriptor, so the
# UART then offers none and poll asks it through ioctl (asyncio registers anew for every
# wait, so it always sees which).
import io
import select
from binascii import hexlify, unhexlify

import _hw
from micropython import const

_GET_FILENO = const(10)  # stream ioctl that select.poll asks for
_POLL = const(3)
_EINVAL = const(22)
_RXBUF = const(256)  # the esp32 port's default UART receive buffer
_RXBUF_MIN = const(32)


def _hex(buf):
    return hexlify(buf).decode()


def _fill(buf, data):
    buf[: len(data)] = data


class I2C:
    def __init__(self, id=0, *, scl=None, sda=None, freq=400000, timeout=50000):
        self._bus = id

    def init(self, *, scl=None, sda=None, freq=400000, timeout=50000):
        pass

    def deinit(self):
        pass

    def scan(self):
        return _hw.call("i2c_scan", {"b": self._bus})

    def _xfer(self, addr, segments):
        return _hw.call("i2c", {"b": self._bus, "a": addr, "x": segments})

    def readfrom(self, addr, nbytes, stop=True):
        return unhexlify(self._xfer(addr, [["r", nbytes]])[0])

    def readfrom_into(self, addr, buf, stop=True):
        _fill(buf, self.readfrom(addr, len(buf), stop))

    def writeto(self, addr, buf, stop=True):
        self._xfer(addr, [["w", _hex(buf)]])
        return len(buf)

    def writevto(self, addr, vector, stop=True):
        data = b"".join(bytes(b) for b in vector)
        self._xfer(addr, [["w", _hex(data)]])
        return len(data)

    def readfrom_mem(self, addr, memaddr, nbytes, *, addrsize=8):
        reg = memaddr.to_bytes(addrsize // 8, "big")
        return unhexlify(self._xfer(addr, [["w", _hex(reg)], ["r", nbytes]])[0])

    def readfrom_mem_into(self, addr, memaddr, buf, *, addrsize=8):
        _fill(buf, self.readfrom_mem(addr, memaddr, len(buf), addrsize=addrsize))

    def writeto_mem(self, addr, memaddr, buf, *, addrsize=8):
        self._xfer(addr, [["w", _hex(memaddr.to_bytes(addrsize // 8, "big") + bytes(buf))]])


class SoftI2C(I2C):
    """A bit-banged bus: its devices hang on the pin pair, bus "SCL:SDA" on the host."""

    def __init__(self, scl, sda, *, freq=400000, timeout=50000):
        self._bus = str(_hw.pin_id(scl)) + ":" + str(_hw.pin_id(sda))


class SPI:
    MSB = const(0)
    LSB = const(1)
    CONTROLLER = const(0)

    def __init__(self, id, baudrate=1000000, **kw):
        self._bus = id
        self.init(baudrate, **kw)

    def init(self, baudrate=1000000, *, polarity=0, phase=0, bits=8, firstbit=0, **pins):
        _hw.call(
            "spi_init",
            {"b": self._bus, "baud": baudrate, "pol": polarity, "pha": phase, "bits": bits},
        )

    def deinit(self):
        pass

    def _xfer(self, data):
        return unhexlify(_hw.call("spi", {"b": self._bus, "d": _hex(data)}))

    def read(self, nbytes, write=0x00):
        return self._xfer(bytes([write]) * nbytes)

    def readinto(self, buf, write=0x00):
        _fill(buf, self._xfer(bytes([write]) * len(buf)))

    def write(self, buf):
        self._xfer(buf)

    def write_readinto(self, write_buf, read_buf):
        if len(write_buf) != len(read_buf):
            raise ValueError("buffers must be the same length")
        _fill(read_buf, self._xfer(write_buf))


class SoftSPI(SPI):
    """A bit-banged bus, "SCK:MOSI:MISO" on the host."""

    def __init__(self, baudrate=500000, *, sck=None, mosi=None, miso=None, **kw):
        self._bus = ":".join([str(_hw.pin_id(p)) for p in (sck, mosi, miso)])
        self.init(baudrate, **kw)


class UART(io.IOBase):
    INV_TX = const(1)
    INV_RX = const(2)
    RTS = const(1)
    CTS = const(2)

    def __init__(self, id, baudrate=115200, bits=8, parity=None, stop=1, *, rxbuf=_RXBUF,
                 **kw):
        self._id = id
        self._sock = None
        self._cfg = {"baudrate": 115200, "bits": 8, "parity": None, "stop": 1}
        self._timeout = 0
        self._tchar = 0
        self._rx = bytearray(max(rxbuf, _RXBUF_MIN))  # what any() counted, not yet read
        self._mv = memoryview(self._rx)
        self._r = 0  # next byte to read in _rx
        self._n = 0  # end of the bytes held in _rx
        self.init(baudrate, bits, parity, stop, **kw)

    def init(self, baudrate=None, bits=None, parity=None, stop=None, *, timeout=None,
             timeout_char=None, **kw):
        cfg = self._cfg
        if baudrate is not None:
            cfg["baudrate"] = baudrate
        if bits is not None:
            cfg["bits"] = bits
        if parity is not None:
            cfg["parity"] = parity
        if stop is not None:
            cfg["stop"] = stop
        if timeout is not None:
            self._timeout = timeout
        if timeout_char is not None:
            self._tchar = timeout_char
        cfg["u"] = self._id
        cfg.pop("tok", None)
        if self._sock is None:
            _hw.tokens += 1
            cfg["tok"] = _hw.tokens
            hello = {"session": _hw.info["session"], "id": self._id, "tok": cfg["tok"]}
            self._sock = _hw.connect("uart", hello)
            self._poll = select.poll()
            self._poll.register(self._sock, select.POLLIN)
        _hw.call("uart_init", cfg)  # returns when bytes that waited for the port are here

    def deinit(self):
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        self._r = self._n = 0
        _hw.call("uart_deinit", {"u": self._id})

    def _open(self):
        if self._sock is None:
            raise OSError(9)  # EBADF: deinit'ed
        return self._sock

    def _wait(self, ms):
        """Wait up to ms for bytes on the stream; True if some came."""
        if not ms:
            return False
        for _ in self._poll.ipoll(ms):
            return True
        return False

    def _fill(self):
        """Move what the stream has into the receive buffer, as far as it has room."""
        r, n = self._r, self._n
        if r == n:
            self._r = self._n = r = n = 0
        elif n == len(self._rx):
            if not r:
                return
            self._mv[: n - r] = self._mv[r:n]
            self._r, self._n, r, n = 0, n - r, 0, n - r
        try:
            k = self._open().readinto(self._mv[n:] if n else self._rx)
        except OSError:
            return
        if k:
            self._n = n + k

    def any(self):
        self._fill()
        return self._n - self._r

    def _pull(self, buf, at, end):
        """Bytes into buf[at:end]: held ones first, else from the stream; how many."""
        r = self._r
        if r < self._n:
            k = min(self._n - r, end - at)
            buf[at : at + k] = self._mv[r : r + k]
            self._r = r + k
            return k
        try:
            if at:
                k = self._open().readinto(memoryview(buf)[at:end])
            else:
                k = self._open().readinto(buf, end)
        except OSError:
            return 0
        return k or 0

    def readinto(self, buf, nbytes=-1):
        end = len(buf) if nbytes is None or nbytes < 0 else min(nbytes, len(buf))
        got = self._pull(buf, 0, end)
        if not got and end:
            if not self._wait(self._timeout):
                return None
            got = self._pull(buf, 0, end)
        while got < end and self._wait(self._tchar):
            k = self._pull(buf, got, end)
            if not k:
                break
            got += k
        return got or None

    def read(self, nbytes=-1):
        if nbytes is None or nbytes < 0:
            if not self.any() and not self._wait(self._timeout):
                return None
            out = b""
            while self.any():
                out += self._mv[self._r : self._n]
                self._r = self._n
            return out or None
        buf = bytearray(nbytes)
        got = self.readinto(buf)
        if got is None:
            return None
        return bytes(buf) if got == nbytes else bytes(buf[:got])

    def readline(self):
        if not self.any() and not self._wait(self._timeout):
            return None
        out = b""
        while True:
            self._fill()
            r, n = self._r, self._n
            if r < n:
                i = self._rx.find(b"\n", r, n)
                end = n if i < 0 else i + 1
                out += self._mv[r:end]
                self._r = end
                if i >= 0:
                    break
            elif not self._wait(self._tchar):
                break
        return out or None

    def write(self, buf):
        _hw.send(self._open(), buf)
        return len(buf)

    def flush(self):
        pass

    def txdone(self):
        return True

    def sendbreak(self):
        pass

    def irq(self, *args, **kwargs):
        raise NotImplementedError("UART.irq is not simulated on virtual boards")

    def ioctl(self, req, arg):
        if req == _GET_FILENO:
            if self._r < self._n:  # bytes wait here, not on the stream: poll asks _POLL
                return -_EINVAL
            return self._open().fileno()
        if req == _POLL:
            ready = arg & select.POLLOUT
            if arg & select.POLLIN and self.any():
                ready |= select.POLLIN
            return ready
        return -_EINVAL

    def __repr__(self):
        return "UART(" + str(self._id) + ", baudrate=" + str(self._cfg["baudrate"]) + ")"
