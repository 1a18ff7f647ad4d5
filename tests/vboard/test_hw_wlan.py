"""network.WLAN: connect() gives the board the address its host assigned."""

from __future__ import annotations

from pathlib import Path

from hwtools import rig

from harmonia.boards import load_profile


def test_wlan_connect_gives_the_address_from_hm_addr(tmp_path: Path) -> None:
    with rig(tmp_path, env={"HM_ADDR": "127.0.0.5"}) as r:
        out = r.exec("""
            import network
            w = network.WLAN(network.STA_IF)
            print(w.isconnected(), w.ifconfig()[0])
            w.active(True)
            w.connect("home", "secret")
            print(w.isconnected(), w.status() == network.STAT_GOT_IP, w.ifconfig()[0])
            print(w.ipconfig("addr4"), w.config("ssid"), len(w.config("mac")))
        """)
        assert out.splitlines() == [
            "False 0.0.0.0",
            "True True 127.0.0.5",
            "('127.0.0.5', '255.0.0.0') home 6",
        ]
        state = r.client.wlan()
        assert (state.connected, state.ssid, state.addr) == (True, "home", "127.0.0.5")


def test_networks_in_range_and_keys_decide_the_status(tmp_path: Path) -> None:
    with rig(tmp_path) as r:
        r.client.set_wifi({"home": "secret", "cafe": None})
        out = r.exec("""
            import network
            w = network.WLAN()
            try:
                w.connect("home", "secret")
            except OSError as e:
                print("inactive:", e)
            w.active(True)
            print([s[0] for s in w.scan()])
            for ssid, key in (("home", "wrong"), ("attic", "x"), ("cafe", None)):
                w.connect(ssid, key)
                print(ssid, w.status(), w.isconnected())
        """)
        assert out.splitlines() == [
            "inactive: Wifi Not Started",
            "[b'cafe', b'home']",
            "home 202 False",
            "attic 201 False",
            "cafe 1010 True",
        ]
        r.client.set_wifi(up=False)  # the access point goes away
        assert r.exec("print(w.isconnected(), w.status())").split() == ["False", "200"]
        r.client.set_wifi()
        r.exec("w.connect('anything', 'goes')")
        assert r.client.wait_wlan(connected=True, timeout=2).ssid == "anything"


def test_a_board_without_a_radio_has_no_network_module(tmp_path: Path) -> None:
    with rig(tmp_path, profile=load_profile("nucleo-f446re")) as r:
        out = r.exec("""
            try:
                import network
            except ImportError as e:
                print("no", e)
        """)
        assert out.strip() == "no no module named 'network'"
