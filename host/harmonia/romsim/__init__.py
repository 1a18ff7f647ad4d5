"""A simulated ESP32-C3 ROM serial loader, so flashing is tested with the real esptool.

`RomSim` serves the ROM's SLIP protocol (SYNC, register reads and writes, SPI
attach and parameters, flash id over the SPI registers, FLASH_BEGIN/DATA/END,
their compressed forms, SPI_FLASH_MD5, READ_FLASH_SLOW, GET_SECURITY_INFO) on
a loopback TCP port or a pty, backed by a flash image file. `Faults` makes it
misbehave the ways a real board does: vanish mid-flash, a wrong MD5, a chip
not in download mode; `chip="esp32s3"` makes it another chip.

    with RomSim(Path("flash.bin"), 4 * 1024 * 1024) as sim:
        subprocess.run(["esptool", "--port", sim.port, "--before", "no-reset",
                        "--chip", "esp32c3", "--no-stub", "flash-id"])
"""

from .chips import CHIPS, Chip
from .loader import Faults, RomLoader
from .server import RomSim
from .spiflash import SpiFlash

__all__ = ["CHIPS", "Chip", "Faults", "RomLoader", "RomSim", "SpiFlash"]
