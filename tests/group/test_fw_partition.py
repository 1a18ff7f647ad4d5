"""A real network partition (members in network namespaces, bridge ports moved apart):
the majority takes the roles over, the minority lets its exclusive roles go, and after
the heal no exclusive role has ever run on two members at once."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conftest import GroupRig

NAMES = ["a", "b", "c", "d", "e"]
PERIOD = 1 << 30  # time.ticks_ms() wraps here on the unix port


def _diff(a: int, b: int) -> int:
    """a - b on the boards' wrapping millisecond clock."""
    return ((a - b + PERIOD // 2) % PERIOD) - PERIOD // 2


def overlaps(histories: dict[str, list[list[Any]]], role: str) -> list[tuple[Any, ...]]:
    """Pairs of members whose times holding `role` overlap (an open end: still holding)."""
    spans = [(name, s, e) for name, hist in histories.items() for r, s, e in hist if r == role]
    bad = []
    for i, (n1, s1, e1) in enumerate(spans):
        for n2, s2, e2 in spans[i + 1:]:
            first_ends_first = e1 is not None and _diff(e1, s2) <= 0
            second_ends_first = e2 is not None and _diff(e2, s1) <= 0
            if n1 != n2 and not (first_ends_first or second_ends_first):
                bad.append((n1, s1, e1, n2, s2, e2))
    return bad


def test_a_split_and_heal_never_runs_an_exclusive_role_twice(group_lan: GroupRig) -> None:
    group = group_lan
    for name in NAMES:
        group.member(name, pins={"RELAY": 5})
    group.configure(group.spec(NAMES, {}))
    leader = group.wait_healthy()["leader"]
    holder = next(n for n in NAMES if n != leader)
    cut = [leader, holder]  # the minority: the leader and another holder
    rest = [n for n in NAMES if n not in cut]
    spec = group.spec(NAMES, {
        "one": {"services": ["gsense"], "prefer": [leader]},
        "two": {"services": ["gctl"], "prefer": [holder]},
        "shared": {"services": ["grelay"], "exclusive": False, "prefer": [holder]}},
        version=2)
    group.call(rest[0], "group.configure", spec)
    before = group.wait_healthy()
    assert before["roles"] == {"one": leader, "two": holder, "shared": holder}

    group.lan.split(cut)
    split_at = time.monotonic()
    split_ms = group.now_ms()
    during = group.wait_healthy(rest, timeout=5)
    took = time.monotonic() - split_at
    assert during["leader"] in rest and during["roles"]["one"] in rest
    assert during["roles"]["two"] in rest and during["roles"]["shared"] in rest
    assert took < 5, took
    # hold the cut until each side has dropped the other from its bus peer table (silent
    # for 2.5 s, protocol.md 8.3), so the heal is a rejoin through discovery
    group.wait_for(lambda: all(m["last_seen_ms"] > 3000 for n, m in
                               group.status(rest[0])["members"].items() if n in cut),
                   5, "the minority to be silent for 3 s")

    heal_ms = group.now_ms()
    group.lan.heal()
    healed_at = time.monotonic()
    after = group.wait_for(lambda: _whole(group), 10, "the five to agree again")
    rejoined = time.monotonic() - healed_at
    assert after["roles"] == during["roles"] and after["leader"] == during["leader"]
    histories = {n: group.call(n, "group.history") for n in NAMES}
    for role in ("one", "two"):
        assert not overlaps(histories, role), (role, histories)
    # the minority let go of its exclusive roles before the heal, a lease or so after the cut
    for role, was in (("one", leader), ("two", holder)):
        ends = [e for r, _, e in histories[was] if r == role]
        assert len(ends) == 1 and ends[0] is not None, (role, histories[was])
        assert _diff(ends[0], split_ms) > 0 and _diff(ends[0], heal_ms) < 0, (role, ends)
    assert rejoined < 10
    dropped = max(_diff(e, split_ms) for n in cut for r, _, e in histories[n] if r != "shared")
    print(f"\npartition: majority healthy after {took:.2f} s, minority dropped its exclusive "
          f"roles {dropped} ms after the cut; whole again {rejoined:.2f} s after the heal")


def _whole(group: GroupRig) -> dict[str, Any] | None:
    status = group.healthy(NAMES)
    if status is None or any(m["state"] != "up" for m in status["members"].values()):
        return None
    return status
