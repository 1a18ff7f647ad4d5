"""A SPI NOR flash chip backed by an image file.

Like the real part, erasing sets bytes to 0xFF and programming can only clear
bits, so a loader that forgets to erase writes garbage here as it would on a board.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

SECTOR = 0x1000
_MD5_CHUNK = 0x10000

# JEDEC command bytes the ROM loader and esptool send through the SPI user-command registers
RDID = 0x9F
RDSR = 0x05
RDSR2 = 0x35
RDSR3 = 0x15
WRSR = 0x01
WRSR2 = 0x31
READ = 0x03
RDSFDP = 0x5A


class FlashRangeError(ValueError):
    """An access past the end of the chip."""


def size_id(size: int) -> int:
    """JEDEC capacity byte: log2 of the size in bytes (0x16 for 4 MB)."""
    if size <= 0 or size & (size - 1):
        raise ValueError(f"flash size {size} is not a power of two")
    return size.bit_length() - 1


class SpiFlash:
    """The flash chip: bytes in a file of exactly `size` bytes, plus its id and status."""

    def __init__(self, path: Path, size: int, manufacturer: int = 0xEF, memory_type: int = 0x40):
        self.path = Path(path)
        self.size = size
        self.jedec = bytes((manufacturer, memory_type, size_id(size)))
        self.status = 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        have = os.fstat(fd).st_size
        if have > size:
            os.close(fd)
            raise ValueError(
                f"{self.path} holds {have} bytes, more than the {size}-byte flash: "
                "remove it or give the right flash size"
            )
        if have < size:  # a new chip, or a smaller image: the rest is erased flash
            os.pwrite(fd, b"\xff" * (size - have), have)
        self._fd = fd

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def _check(self, offset: int, length: int) -> None:
        if offset < 0 or length < 0 or offset + length > self.size:
            raise FlashRangeError(
                f"{length} bytes at {offset:#x} run past the end of the {self.size:#x}-byte flash"
            )

    def read(self, offset: int, length: int) -> bytes:
        self._check(offset, length)
        return os.pread(self._fd, length, offset)

    def erase(self, offset: int, length: int) -> None:
        """Erase every sector that the range touches."""
        start = offset - offset % SECTOR
        end = -(-(offset + length) // SECTOR) * SECTOR
        self._check(start, end - start)
        if end > start:
            os.pwrite(self._fd, b"\xff" * (end - start), start)

    def program(self, offset: int, data: bytes) -> None:
        """NOR programming: each bit can only go from 1 to 0."""
        self._check(offset, len(data))
        old = self.read(offset, len(data))
        if old != b"\xff" * len(data):
            anded = int.from_bytes(old, "little") & int.from_bytes(data, "little")
            data = anded.to_bytes(len(data), "little")
        os.pwrite(self._fd, data, offset)

    def md5(self, offset: int, length: int) -> str:
        self._check(offset, length)
        digest = hashlib.md5()
        for at in range(offset, offset + length, _MD5_CHUNK):
            digest.update(os.pread(self._fd, min(_MD5_CHUNK, offset + length - at), at))
        return digest.hexdigest()

    def sfdp(self, address: int, length: int) -> bytes:
        """A minimal SFDP table: the signature and one vendor parameter header."""
        table = (
            b"SFDP"
            + bytes((0x06, 0x01, 0x01, 0xFF))  # rev 1.6, two headers
            + bytes((0x00, 0x06, 0x01, 0x10, 0x80, 0x00, 0x00, 0xFF))  # JEDEC basic table
            + bytes((self.jedec[0], 0x00, 0x01, 0x03, 0x90, 0x00, 0x00, 0xFF))  # vendor table
        )
        out = table[address : address + length]
        return out + b"\xff" * (length - len(out))

    def command(self, opcode: int, address: int | None, mosi: bytes, miso_len: int) -> bytes:
        """Run one SPI command as the chip would; answers `miso_len` bytes."""
        if opcode == RDID:
            out = self.jedec
        elif opcode == RDSR:
            out = bytes((self.status & 0xFF,))
        elif opcode == RDSR2:
            out = bytes(((self.status >> 8) & 0xFF,))
        elif opcode == RDSR3:
            out = bytes(((self.status >> 16) & 0xFF,))
        elif opcode in (WRSR, WRSR2):
            shift = 8 if opcode == WRSR2 else 0
            for index, byte in enumerate(mosi[:2]):
                mask = 0xFF << (shift + 8 * index)
                self.status = (self.status & ~mask) | (byte << (shift + 8 * index))
            out = b""
        elif opcode == RDSFDP and address is not None:
            out = self.sfdp(address, miso_len)
        elif opcode == READ and address is not None:
            length = max(0, min(miso_len, self.size - address))
            out = self.read(address, length)
        else:  # write enable, resets, power-down and the rest: nothing to answer
            out = b""
        out = out[:miso_len]
        return out + b"\xff" * (miso_len - len(out))
