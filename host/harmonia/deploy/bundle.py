"""What a deploy puts on a board of one arch: the compiled tree (and the CircuitPython
drivers asked for, under lib/) with its manifest and version, the bootstrap module and
the /boot.py stub (layout in docs/deploy.md).

A `Builder` makes each arch's bundle once, for any number of targets in parallel, and
keeps compressed streams, so eight boards that need the same files cost one compression.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import threading
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .. import paths
from ..build import BuildError, build_firmware
from .errors import DeployError

APP_ROOT = "/app"
MANIFEST = ".manifest"
BOOTSTRAP_PATH = f"{APP_ROOT}/deployed.mpy"
BOOT_PATH = "/boot.py"
BOOT_MARK = "harmonia deploy"  # on the stub's first line: the stub is ours to replace
BOOT_STUB = f"""\
# {BOOT_MARK}: boot the current version (docs/deploy.md); keep this line first
import sys
sys.path.insert(0, "{APP_ROOT}")
try:
    from deployed import activate
    activate()
finally:
    sys.path.remove("{APP_ROOT}")
""".encode()
BOOTSTRAP_SOURCE = Path("hm") / "deployed.py"  # under the firmware directory


def bootstrap_source() -> Path:
    """hm/deployed.py: from the firmware directory in use, else this checkout's own (a
    HARMONIA_FIRMWARE tree may hold only compiled files)."""
    for root in (paths.firmware_dir(), paths.repo_root() / "firmware"):
        if (root / BOOTSTRAP_SOURCE).is_file():
            return root / BOOTSTRAP_SOURCE
    raise DeployError(f"no {BOOTSTRAP_SOURCE} in {paths.firmware_dir()}: set HARMONIA_FIRMWARE")


# mpy-cross -march names by the arch number in sys.implementation._mpy (bits 10 and up)
MARCHES = (
    None,
    "x86",
    "x64",
    "armv6",
    "armv6m",
    "armv7m",
    "armv7em",
    "armv7emsp",
    "armv7emdp",
    "xtensa",
    "xtensawin",
    "rv32imc",
    "rv64imc",
)


def digest(data: bytes) -> str:
    """A file's identity in manifests: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(data).hexdigest()[:16]


def march_of(mpy: int) -> str | None:
    """The -march a board's `sys.implementation._mpy` names; None when it has no native
    emitter (or an arch this table does not know)."""
    arch = mpy >> 10
    return MARCHES[arch] if 0 < arch < len(MARCHES) else None


@dataclass(frozen=True)
class Bundle:
    march: str
    files: Mapping[str, bytes]  # path inside a version -> content
    hashes: Mapping[str, str]
    version: str
    manifest: bytes
    bootstrap: bytes  # hm/deployed.py compiled for this arch: /app/deployed.mpy
    mpy_version: tuple[int, int | None]  # .mpy version, and sub-version when native code is in

    @property
    def size(self) -> int:
        return sum(len(d) for d in self.files.values())


class Builder:
    """Bundles of one source tree, built on first use per arch; safe across threads.

    `drivers` names CircuitPython driver packages installed on the host (see
    harmonia.drivers.collect_drivers): they and the libraries they need are compiled with
    the tree into its lib/. They are looked up at once, so a driver that is not installed
    fails the deploy before any board is touched."""

    def __init__(
        self,
        src: Path | None = None,
        build_dir: Path | None = None,
        drivers: Sequence[str] = (),
    ) -> None:
        self.src = (src or paths.firmware_dir()).resolve()
        self.drivers = tuple(drivers)
        self.driver_files = drivers_files(self.drivers)
        self._own_dir = build_dir is None
        self.build_dir = build_dir or Path(tempfile.mkdtemp(prefix="harmonia-deploy-"))
        self._bundles: dict[str, Bundle] = {}
        self._compressed: dict[tuple[tuple[str, ...], int], bytes] = {}
        self._lock = threading.Lock()
        self._arch_locks: dict[str, threading.Lock] = {}

    def bundle(self, march: str) -> Bundle:
        with self._lock:
            lock = self._arch_locks.setdefault(march, threading.Lock())
        with lock:
            if march not in self._bundles:
                self._bundles[march] = self._build(march)
            return self._bundles[march]

    def compressed(self, files: Sequence[bytes], wbits: int) -> bytes:
        """`files` one after the other as one raw deflate stream with a 2**wbits window
        (what one deflate.DeflateIO on the board reads): later files reuse what earlier
        ones taught the compressor."""
        key = (tuple(digest(d) for d in files), wbits)
        with self._lock:
            found = self._compressed.get(key)
        if found is None:
            packer = zlib.compressobj(9, zlib.DEFLATED, -wbits, 9)
            found = b"".join(packer.compress(d) for d in files) + packer.flush()
            with self._lock:
                self._compressed[key] = found
        return found

    def close(self) -> None:
        if self._own_dir:
            shutil.rmtree(self.build_dir, ignore_errors=True)

    def __enter__(self) -> Builder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _build(self, march: str) -> Bundle:
        if not self.src.is_dir():
            raise DeployError(f"no source directory at {self.src}: give --src DIR")
        out = self.build_dir / "tree"
        try:
            built = build_firmware(out, [march], source_dir=self.src)
            boot_src = self.build_dir / f"bootstrap-src-{march}"
            boot_src.mkdir(exist_ok=True)
            shutil.copyfile(bootstrap_source(), boot_src / "deployed.py")
            boot = build_firmware(self.build_dir / "bootstrap", [march], source_dir=boot_src)
            extra = self._build_drivers(march)
        except BuildError as exc:
            raise DeployError(f"the build failed: {exc}") from exc
        files = {
            f.source.with_suffix(".mpy").as_posix(): f.output.read_bytes() for f in built.files
        }
        for path in sorted(self.src.rglob("*")):
            rel = path.relative_to(self.src)
            if path.is_file() and path.suffix != ".py" and not _hidden(rel):
                files[rel.as_posix()] = path.read_bytes()
        for name, data in extra.items():
            if name in files:
                raise DeployError(
                    f"{self.src / name} and a driver's module are both {name}: drop one "
                    f"(drivers: {', '.join(self.drivers)})"
                )
            files[name] = data
        if not files:
            raise DeployError(f"nothing to deploy: {self.src} has no files")
        for name in files:
            if any(ord(c) < 0x20 for c in name) or name.startswith("/"):
                raise DeployError(f"{self.src / name}: rename it, control characters in names")
        bootstrap = boot.files[0].output.read_bytes()
        hashes = {name: digest(data) for name, data in files.items()}
        listing = "".join(f"{n}\0{hashes[n]}\0{len(files[n])}\n" for n in sorted(files))
        version = hashlib.sha256(f"{march}\n{listing}".encode()).hexdigest()[:12]
        manifest = json.dumps(
            {
                "version": version,
                "march": march,
                "files": {n: [hashes[n], len(files[n])] for n in sorted(files)},
            },
            separators=(",", ":"),
            sort_keys=True,
        ).encode()
        return Bundle(
            march=march,
            files=files,
            hashes=hashes,
            version=version,
            manifest=manifest,
            bootstrap=bootstrap,
            mpy_version=_mpy_version(bootstrap, files.values()),
        )


    def _build_drivers(self, march: str) -> dict[str, bytes]:
        """The drivers' modules compiled for `march`, by path in the version (lib/...)."""
        if not self.driver_files:
            return {}
        from ..drivers import stage

        src = self.build_dir / "drivers-src"
        with self._lock:  # staged once, for every arch
            if not src.is_dir():
                stage(self.driver_files, src)
        built = build_firmware(self.build_dir / "drivers", [march], source_dir=src)
        return {f.source.with_suffix(".mpy").as_posix(): f.output.read_bytes() for f in built.files}


def drivers_files(names: Sequence[str]) -> list[tuple[str, Path]]:
    """collect_drivers(names), its errors as DeployError (they say what to pip install)."""
    if not names:
        return []
    from ..drivers import DriverError, collect_drivers

    try:
        return collect_drivers(names)
    except DriverError as exc:
        raise DeployError(str(exc)) from exc


def _mpy_version(bootstrap: bytes, files: Iterable[bytes]) -> tuple[int, int | None]:
    """What a board must load: the .mpy version, and the sub-version native code
    (an arch in the header) adds; bytecode-only files carry no sub-version."""
    native = {d[2] & 3 for d in files if d[:1] == b"M" and len(d) > 2 and d[2] >> 2}
    return bootstrap[1], (native.pop() if len(native) == 1 else None)


def _hidden(rel: Path) -> bool:
    return any(p.startswith(".") or p == "__pycache__" for p in rel.parts) or rel.suffix == ".pyc"
