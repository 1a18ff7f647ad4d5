"""The group spec (docs/group.md): checked once when it arrives, so the agent can trust it."""

HEARTBEAT_MS = 250
LEASE_MS = 1000
NEEDS = ("radio", "pin", "i2c", "board", "member")


class SpecError(ValueError):
    """The spec is not well formed; the message names the key."""


class NotAMember(ValueError):
    """This node's name is not in the spec's members."""


class StaleSpec(ValueError):
    """The spec is older than the one this member holds."""


class VersionConflict(ValueError):
    """Same version as the held spec, different content: bump `version`."""


def _need(cond, where, what):
    if not cond:
        raise SpecError(where + ": " + what)


def _str_list(v, where):
    _need(type(v) is list and all(type(x) is str and x for x in v), where,
          "must be a list of names")


def _method(v, where):
    _need(type(v) is str and 0 < v.rfind(".") < len(v) - 1, where,
          "must be 'service.name', e.g. 'fan.set'")


def _role(name, r):
    where = "roles." + name
    _need(type(r) is dict, where, "must be a map")
    svcs = r.get("services", [])
    _str_list(svcs, where + ".services")
    needs = r.get("needs") or {}
    _need(type(needs) is dict, where + ".needs", "must be a map")
    for k in needs:
        _need(k in NEEDS, where + ".needs." + str(k),
              "unknown need (one of " + ", ".join(NEEDS) + ")")
    ex = r.get("exclusive", True)
    _need(type(ex) is bool, where + ".exclusive", "must be true or false")
    prefer = r.get("prefer", [])
    _str_list(prefer, where + ".prefer")
    return {"services": svcs, "needs": needs, "exclusive": ex, "prefer": prefer}


def _routes(spec, key, roles, kind):
    out = {}
    table = spec.get(key) or {}
    _need(type(table) is dict, key, "must be a map of name -> [role, '" + kind + "']")
    for name in table:
        v = table[name]
        where = key + "." + str(name)
        _need(type(v) is list and len(v) == 2, where, "must be [role, '" + kind + "']")
        _need(v[0] in roles, where, "names no role of the spec: " + str(v[0]))
        _method(v[1], where)
        out[name] = [v[0], v[1]]
    return out


def check(spec):
    """The spec, normalised (defaults filled in); SpecError naming the bad key."""
    _need(type(spec) is dict, "spec", "must be a map")
    g = spec.get("group")
    _need(type(g) is str and g, "group", "must be a non-empty name")
    v = spec.get("version")
    _need(type(v) is int and v >= 1, "version", "must be an integer >= 1")
    members = spec.get("members")
    _str_list(members, "members")
    _need(len(members) > 0 and len(set(members)) == len(members), "members",
          "must name each member once")
    roles = spec.get("roles") or {}
    _need(type(roles) is dict, "roles", "must be a map of role -> {services, needs, exclusive}")
    order = spec.get("order") or sorted(roles)  # board dicts keep no insertion order
    out_roles = {}
    for name in roles:
        out_roles[name] = _role(name, roles[name])
    _need(sorted(order) == sorted(out_roles), "order", "must list every role once")
    binds = spec.get("bindings") or []
    _need(type(binds) is list, "bindings", "must be a list")
    for i, b in enumerate(binds):
        where = "bindings[" + str(i) + "]"
        _need(type(b) is list and len(b) == 4, where,
              "must be [source role, 'svc.event', target role, 'svc.method']")
        _need(b[0] in out_roles and b[2] in out_roles, where, "names a role the spec lacks")
        _method(b[1], where)
        _method(b[3], where)
    hb = spec.get("heartbeat_ms", HEARTBEAT_MS)
    lease = spec.get("lease_ms", LEASE_MS)
    _need(type(hb) is int and 20 <= hb <= 10000, "heartbeat_ms", "must be 20..10000")
    _need(type(lease) is int and lease >= 3 * hb, "lease_ms", "must be at least 3 heartbeats")
    return {
        "group": g, "version": v, "members": list(members), "roles": out_roles,
        "order": list(order), "bindings": [list(b) for b in binds],
        "interface": _routes(spec, "interface", out_roles, "svc.method"),
        "events": _routes(spec, "events", out_roles, "svc.event"),
        "heartbeat_ms": hb, "lease_ms": lease,
    }


def same(a, b):
    """Whether two checked specs say the same thing."""
    return a == b
