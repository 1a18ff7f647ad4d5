"""examples/: a climate board and a display board that shows its readings."""

from __future__ import annotations

from typing import Any

from harmonia import paths, sim

EXAMPLES = paths.repo_root() / "examples"


def test_display_board_shows_the_climate_board_readings(fwbus: Any) -> None:
    fwbus.paths = (*fwbus.paths, str(EXAMPLES))
    kitchen = fwbus.board("kitchen", start=False, services=["sensor_service"])
    climate = sim.attach(kitchen.hw, "bme280", temperature=21.0, humidity=40.0, pressure=1010.0)
    panel = fwbus.board("panel", start=False, services=["oled_display"],
                        display={"follow": "climate.reading"})
    oled = sim.attach(panel.hw, "ssd1306", width=128, height=32)
    kitchen.start()
    panel.start()
    host = fwbus.host()
    host.wait_for_peers(2, timeout=5, names=["kitchen", "panel"])
    assert host.call("kitchen", "climate.read") == {
        "temperature": 21.0, "humidity": 40.0, "pressure": 1010.0}
    want = ["humid 40.0", "press 1010.0", "tempe 21.0"]
    fwbus.wait_for(lambda: host.call("panel", "display.shown") == want, 5, "the panel to show it")
    lit = sum(row.count("#") for row in oled.call("rows"))
    assert lit > 100 and oled.call("state")["on"]
    climate.set(temperature=23.5)
    want[2] = "tempe 23.5"
    fwbus.wait_for(lambda: host.call("panel", "display.shown") == want, 5, "the new temperature")
    assert host.call("panel", "display.show", ["hello"]) == ["hello"]
    assert sum(row.count("#") for row in oled.call("rows")) < lit
