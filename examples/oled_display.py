"""Example: a display board. It follows another board's sensor readings and draws them
on an SSD1306 OLED with the unchanged Adafruit driver; `display.show(lines)` writes
any text from the bus.

    harmonia deploy --driver adafruit-circuitpython-ssd1306 ...
    /hm.json: {"services": ["oled_display"],
               "display": {"follow": "climate.reading"}}
"""

import adafruit_ssd1306
import board

LINE = 10  # pixels per text line (the built-in 8x8 font, and 2 px between lines)


class Display:
    def __init__(self, oled):
        self.oled = oled
        self.lines = []

    def show(self, lines):
        """Draw lines of text (the first ones that fit); returns what is shown."""
        oled = self.oled
        oled.fill(0)
        self.lines = [str(s) for s in lines[: oled.height // LINE]]
        for i, text in enumerate(self.lines):
            oled.text(text, 0, i * LINE, 1)
        oled.show()
        return self.lines

    def shown(self):
        return self.lines

    def reading(self, topic, value, src):
        self.show([k[:5] + " " + f"{value[k]:.1f}" for k in sorted(value)])


def register(node):
    cfg = getattr(node, "cfg", None) or {}
    opts = cfg.get("display") or {}
    oled = adafruit_ssd1306.SSD1306_I2C(opts.get("width", 128), opts.get("height", 32),
                                        board.I2C(), addr=opts.get("addr", 0x3C))
    display = Display(oled)
    node.register("display", display, "1.0", ("show", "shown"))
    if opts.get("follow"):  # from whichever board publishes it
        node.subscribe(opts["follow"], display.reading)
    display.show(["waiting..."])
