"""A sensor as a bus service: read and subscribed to from another board and the host;
clear errors when the chip is unplugged or its driver cannot import."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harmonia import drivers, sim
from harmonia.build import build_firmware
from harmonia.bus import RemoteError

ROOM = {"name": "room", "driver": "adafruit_mcp9808:MCP9808", "fields": ["temperature"],
        "every_ms": 50, "change": 0.2}


def sensor_board(fwbus: Any, name: str = "sensor", sensors: list[dict[str, Any]] | None = None,
                 chip: str | None = "mcp9808", **values: float) -> tuple[Any, sim.SimChip | None]:
    """A board serving `sensors` (default: ROOM), with `chip` on its I2C bus first."""
    board = fwbus.board(name, start=False, services=["probe", "hm.sensor"],
                        sensors=sensors if sensors is not None else [ROOM])
    handle = sim.attach(board.hw, chip, bus=0, **values) if chip else None
    board.start()
    return board, handle


def next_value(sub: Any, want: Any, timeout: float = 5.0) -> Any:
    """Events from sub until one carries `want`; that event's value."""
    seen = []
    while True:
        try:
            event = sub.get(timeout)
        except TimeoutError:
            raise AssertionError(f"no event with {want!r} within {timeout} s; got {seen}") from None
        seen.append(event.value)
        if event.value == want:
            return event


def test_sensor_service_is_read_and_followed_from_the_host_and_a_board(fwbus: Any) -> None:
    sensor, chip = sensor_board(fwbus, temperature=21.5)
    assert chip is not None
    fwbus.board("display")
    host = fwbus.host()
    host.wait_for_peers(2, timeout=5, names=["sensor", "display"])
    # read now, from the host
    assert host.call("sensor", "room.read") == {"temperature": 21.5}
    info = host.call("sensor", "room.info")
    assert info["ok"] and info["driver"] == "adafruit_mcp9808:MCP9808"
    assert ["room", "1.0", ["configure", "info", "read"], ["reading", "error"]] in host.call(
        "sensor", "sys.services")
    # subscriptions: the host, and the display board through its probe service
    readings = host.events("room.reading", "sensor")
    fwbus.wait_for(lambda: "sensor" in host.call("display", "probe.peers"), 5,
                   "display to know sensor")
    assert host.call("display", "probe.follow", "room.reading", "sensor")
    chip.set(temperature=24.0)
    next_value(readings, {"temperature": 24.0})
    fwbus.wait_for(
        lambda: any(e[1] == {"temperature": 24.0} for e in host.call("display", "probe.events")),
        5, "the display board to get the 24.0 reading")
    # a board calls the sensor's method
    assert host.call("display", "probe.call", "sensor", "room.read", [], 2000) == [
        "ok", {"temperature": 24.0}]


def test_changes_below_the_threshold_make_no_event(fwbus: Any) -> None:
    sensor, chip = sensor_board(fwbus, temperature=20.0)
    assert chip is not None
    host = fwbus.host()
    host.wait_for_peers(1, timeout=5, names=["sensor"])
    readings = host.events("room.reading", "sensor")
    chip.set(temperature=20.0625)  # below change=0.2: sampled, not published
    assert host.call("sensor", "room.read") == {"temperature": 20.0625}
    chip.set(temperature=22.0)
    event = readings.get(5)
    assert event.value == {"temperature": 22.0}  # the first event after subscribing
    info = host.call("sensor", "room.info")
    assert info["last"] == {"temperature": 22.0}


def test_rate_limit_skips_to_the_latest_change(fwbus: Any) -> None:
    # sampled every 10 ms, published on a change of 0.2 or more, but at most once a second
    limited = dict(ROOM, every_ms=10, change=0.2, min_gap_ms=1000, max_gap_ms=0)
    sensor, chip = sensor_board(fwbus, sensors=[limited], temperature=20.0)
    assert chip is not None
    host = fwbus.host()
    host.wait_for_peers(1, timeout=5, names=["sensor"])
    readings = host.events("room.reading", "sensor")
    chip.set(temperature=21.0)
    next_value(readings, {"temperature": 21.0})
    before = host.call("sensor", "room.info")
    for i in range(10):  # within the second after that event
        chip.set(temperature=22.0 + i)
    chip.set(temperature=30.5)
    event = readings.get(5)
    assert event.value == {"temperature": 30.5}  # the changes between were never sent
    after = host.call("sensor", "room.info")
    assert after["events"] - before["events"] == 1
    assert after["reads"] - before["reads"] > 10  # sampled all along


def test_unplugged_sensor_is_a_clear_error_and_comes_back(fwbus: Any) -> None:
    sensor, chip = sensor_board(fwbus, temperature=19.0)
    assert chip is not None
    fwbus.board("display")
    host = fwbus.host()
    host.wait_for_peers(2, timeout=5, names=["sensor", "display"])
    errors = host.events("room.error", "sensor")
    assert host.call("sensor", "room.read") == {"temperature": 19.0}
    chip.unplug()
    with pytest.raises(RemoteError) as exc:
        host.call("sensor", "room.read", timeout=3)
    assert exc.value.type_name == "SensorMissing"
    assert "adafruit_mcp9808:MCP9808 at 0x18" in exc.value.remote_message
    assert "check its wiring" in exc.value.remote_message
    assert "SensorMissing" not in errors.get(5).value  # the event carries the message
    fwbus.wait_for(lambda: "sensor" in host.call("display", "probe.peers"), 5, "display peers")
    answer = host.call("display", "probe.call", "sensor", "room.read", [], 2000)
    assert answer[:3] == ["err", "RemoteError", "SensorMissing"] and "0x18" in answer[3]
    assert host.call("sensor", "room.info")["ok"] is False
    chip.plug()
    assert host.call("sensor", "room.read") == {"temperature": 19.0}
    assert host.call("sensor", "room.info")["error"] is None


def test_sensor_absent_at_boot_is_found_when_plugged_in(fwbus: Any) -> None:
    sensor, _ = sensor_board(fwbus, chip=None)
    host = fwbus.host()
    host.wait_for_peers(1, timeout=5, names=["sensor"])
    with pytest.raises(RemoteError) as exc:
        host.call("sensor", "room.read")
    assert exc.value.type_name == "SensorMissing"
    assert "No I2C device at address: 0x18" in exc.value.remote_message
    assert "room: adafruit_mcp9808:MCP9808 not found (No I2C device" in sensor.console()
    sim.attach(sensor.hw, "mcp9808", temperature=26.5)
    assert host.call("sensor", "room.read") == {"temperature": 26.5}


def test_driver_missing_a_library_names_the_module(fwbus: Any, tmp_path: Path) -> None:
    # a deploy that left out adafruit_register, which the MCP9808 driver imports
    partial = tmp_path / "partial"
    drivers.stage(drivers.collect_drivers(["adafruit-circuitpython-mcp9808"],
                                          exclude=["adafruit-circuitpython-register"]), partial)
    built = build_firmware(tmp_path / "partial-mpy", ["x64"], source_dir=partial)
    assert not any("adafruit_register" in str(f.source) for f in built.files)
    fwbus.paths = (fwbus.paths[0], str(tmp_path / "partial-mpy" / "x64" / "lib"), fwbus.paths[2])
    sensor, _ = sensor_board(fwbus, temperature=20.0)
    host = fwbus.host()
    host.wait_for_peers(1, timeout=5, names=["sensor"])
    with pytest.raises(RemoteError) as exc:
        host.call("sensor", "room.read")
    assert exc.value.type_name == "DriverMissing"
    assert "no module named 'adafruit_register'" in exc.value.remote_message
    assert "driver adafruit_mcp9808 does not import" in sensor.console()


def test_several_sensors_on_one_board(fwbus: Any) -> None:
    climate = {"name": "climate", "driver": "adafruit_bme280.basic:Adafruit_BME280_I2C",
               "fields": ["temperature", "humidity", "pressure"], "digits": 2}
    air = {"name": "air", "driver": "adafruit_sht31d:SHT31D",
           "fields": ["temperature", "relative_humidity"], "digits": 1}
    board = fwbus.board("multi", start=False, services=["hm.sensor"], sensors=[climate, air])
    sim.attach(board.hw, "bme280", temperature=18.25, humidity=55.0, pressure=1020.0)
    sim.attach(board.hw, "sht31d", temperature=17.0, humidity=60.0)
    board.start()
    host = fwbus.host()
    host.wait_for_peers(1, timeout=5, names=["multi"])
    assert host.call("multi", "climate.read") == {
        "temperature": 18.25, "humidity": 55.0, "pressure": 1020.0}
    assert host.call("multi", "air.read") == {"temperature": 17.0, "relative_humidity": 60.0}


def test_sensor_on_its_own_pins_and_reconfigured_at_run_time(fwbus: Any) -> None:
    # an SHT31-D at its second address on a soft I2C bus (D3 = SCL, D2 = SDA)
    air = {"name": "air", "driver": "adafruit_sht31d:SHT31D", "fields": ["temperature"],
           "kwargs": {"address": 0x45}, "i2c": {"scl": 3, "sda": 2}, "digits": 1}
    board = fwbus.board("air", start=False, services=["hm.sensor"], sensors=[air])
    chip = sim.attach(board.hw, "sht31d", bus=(3, 2), address=0x45, temperature=15.0)
    board.start()
    host = fwbus.host()
    host.wait_for_peers(1, timeout=5, names=["air"])
    assert host.call("air", "air.read") == {"temperature": 15.0}
    assert host.call("air", "air.info")["every_ms"] == 0  # read on demand: no events
    readings = host.events("air.reading", "air")
    info = host.call("air", "air.configure", {"every_ms": 20, "change": 1.0})
    assert (info["every_ms"], info["change"]) == (20, 1.0)
    next_value(readings, {"temperature": 15.0})  # the new subscriber's first reading
    chip.set(temperature=15.5)  # below the threshold
    chip.set(temperature=17.0)
    assert readings.get(5).value == {"temperature": 17.0}
    with pytest.raises(RemoteError) as exc:
        host.call("air", "air.configure", {"period": 5})
    assert exc.value.type_name == "ValueError" and "every_ms" in exc.value.remote_message
    chip.unplug()
    with pytest.raises(RemoteError) as exc:
        host.call("air", "air.read")
    assert exc.value.type_name == "SensorMissing" and "at 0x45" in exc.value.remote_message
