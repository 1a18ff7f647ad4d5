"""Group manifests: the fan example reads as written; every mistake names its line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from harmonia.group import ManifestError, load, parse
from harmonia.group.assign import assign
from harmonia.group.errors import NoCapableMember
from harmonia.group.manifest import capabilities
from harmonia.group.spec import board_config, build_spec, same_spec
from harmonia.group.tomlpos import KeyLines

FAN = Path(__file__).resolve().parents[2] / "examples" / "fan" / "fan.toml"

GOOD = """\
[group]
name = "demo"
virtual = true
key = "{key}"

[members.a]
board = "virtual"
i2c = [{{ model = "mcp9808" }}]

[members.b]
board = "virtual"
wifi = false

[[links]]
a = "a:1"
b = "b:1"

[roles.sense]
services = ["svc"]
needs = {{ i2c = [0x18] }}

[roles.work]
services = ["svc"]
prefer = ["b"]

[[bindings]]
event = "sense:room.reading"
call = "work:fan.on_reading"

[interface.methods]
temperature = "sense:room.read"
"""


def manifest_text(**replace: str) -> str:
    text = GOOD.format(key="ab" * 32)
    for old, new in replace.items():
        text = text.replace(old.replace("_", " "), new)
    return text


def problems(text: str, tmp_path: Path) -> list[tuple[int | None, str]]:
    (tmp_path / "svc.py").write_text("def register(node):\n    pass\n")
    path = tmp_path / "g.toml"
    path.write_text(text)
    with pytest.raises(ManifestError) as caught:
        load(path)
    assert str(path) in str(caught.value)
    return [(p.line, p.message) for p in caught.value.problems]


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_the_fan_example_reads_and_makes_its_spec() -> None:
    fan = load(FAN)
    assert [m.name for m in fan.members] == ["sensor", "relay", "controller"]
    assert not fan.member("relay").wifi
    assert fan.links[0].a == "sensor" and fan.links[0].b_uart == 0
    spec = build_spec(fan, 3)
    assert spec["version"] == 3
    assert spec["roles"]["switching"]["needs"] == {"pin": ["GP15"]}
    assert spec["roles"]["sensing"]["needs"] == {"i2c": [0x18]}
    assert ["sensing", "room.reading", "control", "fan.on_reading"] in spec["bindings"]
    assert spec["interface"]["temperature"] == ["sensing", "room.read"]
    assert same_spec(spec, build_spec(fan, 4)) and not same_spec(spec, None)
    relay = board_config(fan, fan.member("relay"), b"k" * 32)
    assert relay["udp"] is False and relay["serial"] == [{"uart": 0, "baud": 921600}]
    assert "hm.group" in relay["services"] and relay["group_key"] == (b"k" * 32).hex()


def test_role_assignment_honours_needs_and_preference() -> None:
    fan = load(FAN)
    caps = {m.name: capabilities(m) or {} for m in fan.members}
    assert assign(fan.roles, caps) == {"sensing": "sensor", "switching": "relay",
                                       "control": "controller"}
    del caps["controller"]  # it died: control goes to the next preferred member with Wi-Fi
    assert assign(fan.roles, caps)["control"] == "sensor"
    del caps["relay"]
    with pytest.raises(NoCapableMember, match="switching: sensor lacks pin GP15"):
        assign(fan.roles, caps)


def test_a_toml_syntax_error_names_its_line_and_column(tmp_path: Path) -> None:
    text = manifest_text(**{'name = "demo"': 'name = "demo'})
    ((line, message),) = problems(text, tmp_path)
    assert line == 2 and "not valid TOML" in message and "column" in message


@pytest.mark.parametrize(("change", "needle", "words"), [
    ({'board = "virtual"\ni2c': 'board = "esp32-c99"\ni2c'}, "esp32-c99", "unknown board"),
    ({"i2c = [0x18]": "i2c = [0x19]"}, "0x19", "no member can hold role sense"),
    ({'b = "b:1"': 'b = "c:1"'}, '"c:1"', "no member 'c'"),
    ({'prefer = ["b"]': 'prefer = ["bb"]'}, "prefer", "did you mean 'b'"),
    ({'services = ["svc"]\nprefer': 'services = ["nosuch"]\nprefer'}, "nosuch", "no module"),
    ({'call = "work:fan.on_reading"': 'call = "wrk:fan.on_reading"'}, "wrk", "no role 'wrk'"),
    ({"temperature = \"sense:room.read\"": "temperature = \"room.read\""}, "temperature =",
     "ROLE:SERVICE.NAME"),
    ({"wifi = false": "wifi = false\nwify = 1"}, "wify", "did you mean 'wifi'"),
    ({'a = "a:1"\nb = "b:1"': 'a = "a:1"\nb = "a:2"'}, '"a:2"', "not a to itself"),
], ids=["board", "needs", "link", "prefer", "module", "binding", "interface", "typo", "loop"])
def test_a_mistake_points_at_its_line(tmp_path: Path, change: dict[str, str], needle: str,
                                      words: str) -> None:
    text = manifest_text()
    for old, new in change.items():
        assert old in text
        text = text.replace(old, new)
    found = problems(text, tmp_path)
    assert any(words in message for _, message in found), found
    line = next(line for line, message in found if words in message)
    assert line == line_of(text, needle), (found, text)


def test_a_member_without_wifi_and_without_a_cable_is_refused(tmp_path: Path) -> None:
    text = manifest_text().replace('[[links]]\na = "a:1"\nb = "b:1"\n', "")
    ((line, message),) = problems(text, tmp_path)
    assert line == line_of(text, "wifi = false") and "nothing could reach it" in message


def test_every_problem_is_listed_at_once(tmp_path: Path) -> None:
    text = manifest_text(**{'board = "virtual"\nwifi': 'board = "nope"\nwifi'})
    text = text.replace('event = "sense:room.reading"', 'event = "sense"')
    found = problems(text, tmp_path)
    assert len(found) == 2 and [line for line, _ in found] == sorted(line for line, _ in found)


def test_key_lines_follow_tables_arrays_and_inline_values() -> None:
    text = textwrap.dedent('''\
        [a.b]
        x = """
        [not.a.table]
        """
        "q.k" = [1,
          { z = 2 }]
        [[arr]]
        y = 1
        [[arr]]
        y = 2
        ''')
    lines = KeyLines(text)
    assert lines.line(("a", "b", "x")) == 2
    assert lines.line(("a", "b", "q.k", 1, "z")) == 6
    assert lines.line(("arr", 1, "y")) == 10
    assert lines.line(("not", "a", "table")) is None
    assert lines.line(("a", "b", "missing")) == 1


def test_parse_without_a_file_names_the_manifest() -> None:
    with pytest.raises(ManifestError, match=r"<manifest>: the manifest needs a \[group\] table"):
        parse("[members]\n[roles]\n")
