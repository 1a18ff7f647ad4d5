"""The ROM serial loader's command handling, with no I/O: packets in, packets out.

A request is `00 op len16 chk32 data`; the answer is `01 op len16 value32 data`
where `data` ends with the ROM's four status bytes (`status, error, 0, 0`).
Transports (`server.py`) do the SLIP framing and the socket or pty.
"""

from __future__ import annotations

import struct
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from .chips import CHIP_DETECT_MAGIC_REG, Chip, mac_registers, spi_reg
from .spiflash import SECTOR, FlashRangeError, SpiFlash

# Command opcodes of the ROM loader
FLASH_BEGIN = 0x02
FLASH_DATA = 0x03
FLASH_END = 0x04
MEM_BEGIN = 0x05
MEM_END = 0x06
MEM_DATA = 0x07
SYNC = 0x08
WRITE_REG = 0x09
READ_REG = 0x0A
SPI_SET_PARAMS = 0x0B
SPI_ATTACH = 0x0D
READ_FLASH_SLOW = 0x0E
CHANGE_BAUDRATE = 0x0F
FLASH_DEFL_BEGIN = 0x10
FLASH_DEFL_DATA = 0x11
FLASH_DEFL_END = 0x12
SPI_FLASH_MD5 = 0x13
GET_SECURITY_INFO = 0x14

# Error codes in the second status byte
ERR_INVALID_MESSAGE = 0x05
ERR_FAILED = 0x06
ERR_BAD_CHECKSUM = 0x07
ERR_FLASH_WRITE = 0x08
ERR_FLASH_READ = 0x09
ERR_READ_LENGTH = 0x0A
ERR_DEFLATE = 0x0B

CHECKSUM_SEED = 0xEF
SPI_CMD_USR = 1 << 18
SPI_USR_COMMAND = 1 << 31
SPI_USR_ADDR = 1 << 30
SPI_USR_MISO = 1 << 28
SPI_USR_MOSI = 1 << 27
READ_SLOW_BLOCK = 64


class Vanish(Exception):
    """The device drops off the bus now (the transport closes the port)."""


@dataclass
class Faults:
    """Switches a test flips to make the loader misbehave; each is used up when it fires.

    `vanish_after_blocks`: after that many flash data blocks the port disappears.
    `wrong_md5`: that many SPI_FLASH_MD5 answers are wrong.
    `download_mode`: False makes the chip boot its app and ignore the loader.
    """

    vanish_after_blocks: int | None = None
    wrong_md5: int = 0
    download_mode: bool = True


class _Failed(Exception):
    def __init__(self, code: int):
        super().__init__(code)
        self.code = code


def checksum(data: bytes) -> int:
    state = CHECKSUM_SEED
    for byte in data:
        state ^= byte
    return state


class RomLoader:
    """One chip in download mode: registers, the flash chip, and a write in progress."""

    def __init__(
        self,
        chip: Chip,
        flash: SpiFlash,
        faults: Faults | None = None,
        on_event: Callable[[str], None] | None = None,
        mac: bytes = b"\x02\x00\x00\x00\x00\x01",
    ):
        self.chip = chip
        self.mac = mac
        self.flash = flash
        self.faults = faults if faults is not None else Faults()
        self._on_event = on_event
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Power-on state, as after a reset into download mode."""
        self.registers: dict[int, int] = dict(self.chip.registers)
        self.registers[CHIP_DETECT_MAGIC_REG] = self.chip.magic
        self.registers.update(mac_registers(self.chip, self.mac))
        self.attached = False
        self.blocks_written = 0  # flash data blocks since the reset
        self.running_app = not self.faults.download_mode
        self._write: _Write | None = None

    def _event(self, what: str) -> None:
        if self._on_event is not None:
            self._on_event(what)

    def handle(self, packet: bytes) -> list[bytes]:
        """Answers to one request packet (none for noise, eight for SYNC)."""
        if self.running_app or len(packet) < 8 or packet[0] != 0x00:
            return []
        op, size, chk = struct.unpack_from("<BHI", packet, 1)
        data = packet[8:]
        if size != len(data):
            return [_response(op, 0, b"", ERR_INVALID_MESSAGE)]
        with self._lock:
            try:
                value, body = self._dispatch(op, data, chk)
            except _Failed as failed:
                return [_response(op, 0, b"", failed.code)]
        if op == SYNC:
            return [_response(op, value, body)] * 8
        return [_response(op, value, body)]

    def _dispatch(self, op: int, data: bytes, chk: int) -> tuple[int, bytes]:
        if op == SYNC:
            if data != b"\x07\x07\x12\x20" + b"\x55" * 32:
                raise _Failed(ERR_INVALID_MESSAGE)
            return struct.unpack_from("<I", data)[0], b""
        if op == READ_REG:
            (addr,) = _unpack("<I", data)
            return self.registers.get(addr, 0), b""
        if op == WRITE_REG:
            self._write_regs(data)
            return 0, b""
        if op == GET_SECURITY_INFO:
            if self.chip.image_chip_id is None:
                raise _Failed(ERR_INVALID_MESSAGE)
            # flags, flash_crypt_cnt, 7 key purposes, chip id, API version
            return 0, struct.pack("<IB7BII", 0, 0, *([0] * 7), self.chip.image_chip_id, 0)
        if op == SPI_ATTACH:
            _unpack("<II", data)
            self.attached = True
            return 0, b""
        if op == SPI_SET_PARAMS:
            _unpack("<IIIIII", data)
            return 0, b""
        if op == CHANGE_BAUDRATE:
            _unpack("<II", data)
            return 0, b""
        if op in (FLASH_BEGIN, FLASH_DEFL_BEGIN):
            self._begin(op == FLASH_DEFL_BEGIN, data)
            return 0, b""
        if op in (FLASH_DATA, FLASH_DEFL_DATA):
            self._data(op == FLASH_DEFL_DATA, data, chk)
            return 0, b""
        if op in (FLASH_END, FLASH_DEFL_END):
            (stay,) = _unpack("<I", data)
            self._write = None
            if not stay:  # 0 asks for a reboot; 1 would run the app in flash
                self._event("reboot")
            else:
                self._event("run")
            self.running_app = True
            return 0, b""
        if op == SPI_FLASH_MD5:
            return 0, self._md5(data)
        if op == READ_FLASH_SLOW:
            return 0, self._read_slow(data)
        raise _Failed(ERR_INVALID_MESSAGE)  # MEM_* (stub upload) and the rest

    def _write_regs(self, data: bytes) -> None:
        if not data or len(data) % 16:
            raise _Failed(ERR_INVALID_MESSAGE)
        for at in range(0, len(data), 16):
            addr, value, mask, _delay = struct.unpack_from("<IIII", data, at)
            old = self.registers.get(addr, 0)
            self.registers[addr] = (old & ~mask | value & mask) & 0xFFFFFFFF
            if addr == spi_reg(self.chip, "cmd") and self.registers[addr] & SPI_CMD_USR:
                self._spi_user_command()
                self.registers[addr] &= ~SPI_CMD_USR

    def _spi_user_command(self) -> None:
        """Run the command the SPI registers describe, leaving MISO bytes in W0…"""
        reg = self.registers
        usr = reg.get(spi_reg(self.chip, "usr"), 0)
        opcode = reg.get(spi_reg(self.chip, "usr2"), 0) & 0xFF
        address = None
        if usr & SPI_USR_ADDR:
            bits = (reg.get(spi_reg(self.chip, "usr1"), 0) >> 26 & 0x3F) + 1
            address = reg.get(spi_reg(self.chip, "addr"), 0)
            if self.chip.spi_addr_msb:
                address >>= 32 - bits
            address &= (1 << bits) - 1
        w0 = spi_reg(self.chip, "w0")
        mosi = b""
        if usr & SPI_USR_MOSI:
            count = ((reg.get(spi_reg(self.chip, "mosi_dlen"), 0) & 0x3FF) + 8) // 8
            words = b"".join(struct.pack("<I", reg.get(w0 + 4 * i, 0)) for i in range(16))
            mosi = words[:count]
        miso_len = 0
        if usr & SPI_USR_MISO:
            miso_len = ((reg.get(spi_reg(self.chip, "miso_dlen"), 0) & 0x3FF) + 8) // 8
        answer = self.flash.command(opcode, address, mosi, miso_len)
        answer += b"\x00" * (-len(answer) % 4)
        for index in range(len(answer) // 4):
            reg[w0 + 4 * index] = struct.unpack_from("<I", answer, 4 * index)[0]

    def _begin(self, deflate: bool, data: bytes) -> None:
        if len(data) not in (16, 20):
            raise _Failed(ERR_INVALID_MESSAGE)
        erase_size, blocks, block_size, offset = struct.unpack_from("<IIII", data)
        try:
            self.flash.erase(offset, erase_size)
        except FlashRangeError:
            raise _Failed(ERR_FLASH_WRITE) from None
        self._write = _Write(offset, erase_size, blocks, block_size, deflate)
        self._event(f"begin {offset:#x} {erase_size:#x}")

    def _data(self, deflate: bool, data: bytes, chk: int) -> None:
        write = self._write
        if write is None or write.deflate != deflate or len(data) < 16:
            raise _Failed(ERR_FAILED)
        length, seq, _, _ = struct.unpack_from("<IIII", data)
        payload = data[16:]
        if length != len(payload):
            raise _Failed(ERR_INVALID_MESSAGE)
        if checksum(payload) != chk & 0xFF:
            raise _Failed(ERR_BAD_CHECKSUM)
        if seq != write.next_seq:
            raise _Failed(ERR_FAILED)
        vanish = self.faults.vanish_after_blocks
        if vanish is not None and self.blocks_written >= vanish:
            self.faults.vanish_after_blocks = None
            self._write = None
            raise Vanish(f"vanished after {self.blocks_written} blocks")
        try:
            write.feed(self.flash, payload)
        except zlib.error:
            raise _Failed(ERR_DEFLATE) from None
        except FlashRangeError:
            raise _Failed(ERR_FLASH_WRITE) from None
        self.blocks_written += 1

    def _md5(self, data: bytes) -> bytes:
        addr, size, _, _ = _unpack("<IIII", data)
        try:
            digest = self.flash.md5(addr, size)
        except FlashRangeError:
            raise _Failed(ERR_FLASH_READ) from None
        if self.faults.wrong_md5 > 0:
            self.faults.wrong_md5 -= 1
            digest = f"{int(digest, 16) ^ 1:032x}"
        return digest.encode()

    def _read_slow(self, data: bytes) -> bytes:
        addr, length = _unpack("<II", data)
        if length > READ_SLOW_BLOCK:
            raise _Failed(ERR_READ_LENGTH)
        try:
            chunk = self.flash.read(addr, length)
        except FlashRangeError:
            raise _Failed(ERR_FLASH_READ) from None
        return chunk + b"\x00" * (READ_SLOW_BLOCK - length)


class _Write:
    """A FLASH_BEGIN (or FLASH_DEFL_BEGIN) in progress: where the next bytes go."""

    def __init__(self, offset: int, size: int, blocks: int, block_size: int, deflate: bool):
        self.offset = offset
        self.end = -(-(offset + size) // SECTOR) * SECTOR  # the ROM erased whole sectors
        self.blocks = blocks
        self.block_size = block_size
        self.deflate = deflate
        self.next_seq = 0
        self.at = offset
        self._inflate = zlib.decompressobj() if deflate else None

    def feed(self, flash: SpiFlash, payload: bytes) -> None:
        chunk = payload if self._inflate is None else self._inflate.decompress(payload)
        if self.at + len(chunk) > self.end:
            raise FlashRangeError("data past the erased region")
        flash.program(self.at, chunk)
        self.at += len(chunk)
        self.next_seq += 1


def _unpack(fmt: str, data: bytes) -> tuple[int, ...]:
    if len(data) != struct.calcsize(fmt):
        raise _Failed(ERR_INVALID_MESSAGE)
    return struct.unpack(fmt, data)


def _response(op: int, value: int, body: bytes, error: int = 0) -> bytes:
    status = bytes((1 if error else 0, error, 0, 0))
    data = body + status
    return struct.pack("<BBHI", 0x01, op, len(data), value) + data
