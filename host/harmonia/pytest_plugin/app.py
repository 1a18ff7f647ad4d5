"""What goes on a board before a test: the bus configuration (/hm.json), a main.py that
runs the bus, and the test's own service modules. Override the `hm_app` fixture to change it:

    @pytest.fixture
    def hm_app() -> App:
        return App(services=("hm.services.log", "fan"), src=Path(__file__).parent / "app")
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAIN_PY = "import hm.app\nhm.app.main()\n"
CONFIG = "hm.json"
READY = "hm: node"  # what hm.app prints once the bus runs (firmware/hm/app.py)


@dataclass(frozen=True)
class App:
    """The application each board of a test runs.

    `services`: modules with `register(node)` (/hm.json "services"); `src`: a directory
    whose files go onto the flash as they are (service modules, data); `files`: more
    files by flash path; `config`: more /hm.json keys; `bus=False`: a plain board with an
    empty flash and no main.py (REPL tests).
    """

    services: tuple[str, ...] = ("hm.services.log",)
    src: Path | None = None
    files: Mapping[str, bytes | str] = field(default_factory=dict)
    config: Mapping[str, Any] = field(default_factory=dict)
    bus: bool = True

    def hm_json(self, name: str, profile: str | None, port: int, key: bytes | None,
                wifi: Mapping[str, str]) -> dict[str, Any]:
        cfg: dict[str, Any] = {
            "name": name,
            "board": profile or "",
            "port": port,
            "services": list(self.services),
            "wifi": {"ssid": wifi.get("ssid", "harmonia"), "key": wifi.get("key", "")},
        }
        if key is not None:
            cfg["group_key"] = key.hex()
        cfg.update(self.config)
        return cfg

    def flash_files(self, name: str, profile: str | None, port: int, key: bytes | None,
                    wifi: Mapping[str, str]) -> dict[str, bytes]:
        """Every file the board's flash gets, by path."""
        if not self.bus:
            return {}
        files: dict[str, bytes] = {}
        if self.src is not None:
            for path in sorted(self.src.rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts:
                    files[path.relative_to(self.src).as_posix()] = path.read_bytes()
        for dest, data in self.files.items():
            files[dest.lstrip("/")] = data.encode() if isinstance(data, str) else data
        files.setdefault("main.py", MAIN_PY.encode())
        config = self.hm_json(name, profile, port, key, wifi)
        files[CONFIG] = json.dumps(config).encode()
        return files
