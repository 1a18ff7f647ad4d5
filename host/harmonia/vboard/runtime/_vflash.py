# mypy: ignore-errors
# (MicroPython code for the unix port: host mypy does not apply to it)
# Flash of a virtual board: a block device over the littlefs2 image file.
# MicroPython side; vfs.VfsLfs2 mounts it exactly like a board's internal flash.

_IOCTL_BLOCK_COUNT = 4
_IOCTL_BLOCK_SIZE = 5
_IOCTL_BLOCK_ERASE = 6


class FileBlockDevice:
    """readblocks/writeblocks/ioctl over an image file (the extended block protocol)."""

    def __init__(self, path, block_size):
        self._f = open(path, "r+b")  # noqa: SIM115 - open while mounted
        self._bs = block_size
        self._f.seek(0, 2)
        self._count = self._f.tell() // block_size
        self._erased = b"\xff" * block_size

    def readblocks(self, block, buf, off=0):
        f = self._f
        f.seek(block * self._bs + off)
        f.readinto(buf)

    def writeblocks(self, block, buf, off=None):
        if off is None:
            # Simple protocol: whole blocks, erase implied.
            off = 0
        f = self._f
        f.seek(block * self._bs + off)
        f.write(buf)

    def ioctl(self, op, arg):
        if op == _IOCTL_BLOCK_COUNT:
            return self._count
        if op == _IOCTL_BLOCK_SIZE:
            return self._bs
        if op == _IOCTL_BLOCK_ERASE:
            # NOR flash erases to 0xff; keep the image byte-for-byte like a board's.
            self._f.seek(arg * self._bs)
            self._f.write(self._erased)
            return 0
        return 0
