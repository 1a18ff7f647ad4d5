"""Example: a climate board. A BME280 on the default I2C bus becomes service `climate`.

Deploy it with its driver (taken from the host's installed packages), then list it in
the board's /hm.json:

    pip install adafruit-circuitpython-bme280
    harmonia deploy --driver adafruit-circuitpython-bme280 ...
    /hm.json: {"services": ["sensor_service"], ...}

From the host: `harmonia call kitchen climate.read`, `harmonia watch climate.reading`.
"""

from hm import sensor


def register(node):
    sensor.serve(
        node,
        "climate",
        "adafruit_bme280.basic:Adafruit_BME280_I2C",
        ("temperature", "humidity", "pressure"),
        every_ms=500,  # sample twice a second
        change=0.2,  # publish climate.reading when a value moves by 0.2 or more,
        min_gap_ms=1000,  # at most once a second,
        max_gap_ms=30000,  # and at least every 30 s
        digits=2,
    )
