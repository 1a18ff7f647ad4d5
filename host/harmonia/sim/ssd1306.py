"""Solomon SSD1306 OLED controller (I2C, 0x3C/0x3D), 128 columns x 8 pages of GDDRAM.

Each write starts with control bytes: Co=1 (bit 7) means one byte follows, then
another control byte; Co=0 means the rest of the write is one stream. D/C (bit 6)
says whether the bytes are commands or display data. Commands the model keeps:
display on/off, contrast, invert, entire-display-on, addressing mode (horizontal,
vertical, page) with column and page ranges, page-mode start addresses, segment remap,
COM scan direction, multiplex ratio; the others are parsed (with their argument
counts) and ignored. Data bytes fill GDDRAM from the address pointer, which moves as
the addressing mode says. The host reads the RAM back as pixels.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ..vboard.hw.devices import I2CDevice
from .base import COMMON_CONTROL, Pluggable

COLUMNS, PAGES = 128, 8
HORIZONTAL, VERTICAL, PAGE = 0, 1, 2
# argument counts of the multi-byte commands
ARGS = {0x81: 1, 0x20: 1, 0x21: 2, 0x22: 2, 0xA8: 1, 0xD3: 1, 0xDA: 1, 0xD5: 1, 0xD9: 1,
        0xDB: 1, 0x8D: 1, 0xAD: 1, 0xA3: 2, 0x26: 6, 0x27: 6, 0x29: 5, 0x2A: 5}


class SSD1306(I2CDevice, Pluggable):
    CONTROL: ClassVar[tuple[str, ...]] = (*COMMON_CONTROL, "state", "pixel", "rows", "ram")

    def __init__(self, width: int = 128, height: int = 64, **_: Any) -> None:
        if width not in (64, 72, 96, 128) or height not in (16, 32, 48, 64):
            raise ValueError(f"no SSD1306 panel is {width}x{height}")
        self.width = width
        self.height = height
        self.power_on()
        self._init_values({})

    def power_on(self) -> None:
        self.gddram = bytearray(COLUMNS * PAGES)
        self.on = False
        self.contrast = 0x7F
        self.inverted = False
        self.entire_on = False
        self.mode = PAGE
        self.cols = [0, COLUMNS - 1]
        self.pages = [0, PAGES - 1]
        self.col = 0
        self.page = 0
        self.remap = False
        self.com_reversed = False
        self.mux = 64
        self.charge_pump = False
        self._cmd: list[int] = []

    # ---- the I2C interface

    def write(self, data: bytes) -> None:
        self.check_present()
        i = 0
        while i < len(data):
            control = data[i]
            dc = bool(control & 0x40)
            if control & 0x80:  # Co=1: one byte, then another control byte
                if i + 1 < len(data):
                    self._take(dc, data[i + 1 : i + 2])
                i += 2
            else:
                self._take(dc, data[i + 1 :])
                return

    def read(self, n: int) -> bytes:
        self.check_present()
        status = 0x00 if self.on else 0x40  # bit 6: display off
        return bytes([status]) * n

    def _take(self, is_data: bool, chunk: bytes) -> None:
        for byte in chunk:
            if is_data:
                self._data(byte)
            else:
                self._command(byte)

    # ---- commands and data

    def _command(self, byte: int) -> None:
        cmd = self._cmd
        cmd.append(byte)
        if len(cmd) - 1 < ARGS.get(cmd[0], 0):
            return
        self._cmd = []
        op, args = cmd[0], cmd[1:]
        if op in (0xAE, 0xAF):
            self.on = op == 0xAF
        elif op == 0x81:
            self.contrast = args[0]
        elif op in (0xA6, 0xA7):
            self.inverted = op == 0xA7
        elif op in (0xA4, 0xA5):
            self.entire_on = op == 0xA5
        elif op == 0x20:
            self.mode = args[0] & 3 if args[0] & 3 != 3 else PAGE
        elif op == 0x21:
            self.cols = [args[0] & 0x7F, args[1] & 0x7F]
            self.col = self.cols[0]
        elif op == 0x22:
            self.pages = [args[0] & 7, args[1] & 7]
            self.page = self.pages[0]
        elif 0xB0 <= op <= 0xB7:
            self.page = op & 7
        elif op <= 0x0F:
            self.col = (self.col & 0xF0) | op
        elif op <= 0x1F:
            self.col = (self.col & 0x0F) | ((op & 0x07) << 4)
        elif op in (0xA0, 0xA1):
            self.remap = op == 0xA1
        elif op in (0xC0, 0xC8):
            self.com_reversed = op == 0xC8
        elif op == 0xA8:
            self.mux = (args[0] & 0x3F) + 1
        elif op == 0x8D:
            self.charge_pump = bool(args[0] & 0x04)

    def _data(self, byte: int) -> None:
        self.gddram[self.page * COLUMNS + self.col] = byte
        c0, c1 = self.cols
        p0, p1 = self.pages
        if self.mode == PAGE:
            self.col = (self.col + 1) % COLUMNS
        elif self.mode == HORIZONTAL:
            if self.col >= c1:
                self.col = c0
                self.page = p0 if self.page >= p1 else self.page + 1
            else:
                self.col += 1
        elif self.page >= p1:
            self.page = p0
            self.col = c0 if self.col >= c1 else self.col + 1
        else:
            self.page += 1

    # ---- what the host sees

    def state(self) -> dict[str, Any]:
        return {"on": self.on, "contrast": self.contrast, "inverted": self.inverted,
                "entire_on": self.entire_on, "mode": self.mode, "remap": self.remap,
                "com_reversed": self.com_reversed, "mux": self.mux,
                "charge_pump": self.charge_pump, "width": self.width, "height": self.height}

    def _column(self, x: int) -> int:
        """GDDRAM column of the panel's pixel column x (panels narrower than 128 are
        centred in the controller's columns, as drivers address them)."""
        return x + (COLUMNS - self.width) // 2

    def pixel(self, x: int, y: int) -> int:
        """1 if RAM has the pixel at (x, y) set, in the drawing coordinates of the driver
        (column x, row y of GDDRAM), before remap, inversion or power."""
        if not (0 <= x < self.width and 0 <= y < self.height):
            raise ValueError(f"pixel ({x}, {y}) is outside the {self.width}x{self.height} panel")
        return self.gddram[(y // 8) * COLUMNS + self._column(x)] >> (y % 8) & 1

    def rows(self) -> list[str]:
        """The panel's RAM as text, one string per pixel row: '#' set, '.' clear."""
        return ["".join("#" if self.pixel(x, y) else "." for x in range(self.width))
                for y in range(self.height)]

    def ram(self) -> str:
        """GDDRAM as hex, page by page."""
        return self.gddram.hex()
