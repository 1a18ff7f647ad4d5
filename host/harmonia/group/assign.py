"""Which member holds which role: by needs, then preference, then load.

The leader on the boards makes the live decisions (docs/group.md); this is the same rule
on the host, used by `group up` to say in advance who will hold what and to refuse a
group whose roles nobody can hold, with a message naming what each member lacks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .errors import NoCapableMember
from .manifest import Role, missing


def capable(role: Role, caps: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Members (by name) that have everything `role` needs, in preference order."""
    able = [name for name, c in caps.items() if not missing(role.needs, c)]
    preferred = [m for m in role.prefer if m in able]
    return preferred + sorted(m for m in able if m not in preferred)


def assign(roles: Iterable[Role], caps: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """role -> member for every role. The most constrained roles choose first; each takes
    its first preferred capable member, else the capable member holding the fewest roles
    (ties by name). Raises NoCapableMember naming what every member lacks."""
    roles = list(roles)
    load = dict.fromkeys(caps, 0)
    out: dict[str, str] = {}
    order = sorted(roles, key=lambda r: (len(capable(r, caps)), roles.index(r)))
    for role in order:
        able = capable(role, caps)
        if not able:
            gaps = "; ".join(f"{n} lacks {', '.join(missing(role.needs, c))}"
                             for n, c in sorted(caps.items())) or "no member is up"
            raise NoCapableMember(f"no member can hold role {role.name}: {gaps}")
        preferred = [m for m in role.prefer if m in able]
        holder = preferred[0] if preferred else min(able, key=lambda m: (load[m], m))
        out[role.name] = holder
        load[holder] += 1
    return {r.name: out[r.name] for r in roles}
