"""Reading a request's `args` strictly (ADAPTER.md section 8: what is `adapter.bad_request`).

Every part module reads its arguments through `Fields`, so that a missing, unknown or mistyped field
is reported by name (`args.events[2].ttl`) instead of surfacing as a stray exception.
"""

from __future__ import annotations

U32 = 2**32 - 1
U64 = 2**64 - 1


class BadRequest(Exception):
    """Arguments that cannot be read: answered with `adapter.bad_request`."""


class Refused(Exception):
    """A refusal the spec names: answered with `error` and the spec's code."""

    def __init__(self, code: str, why: str = ""):
        super().__init__(f"{code}: {why}" if why else code)
        self.code = code


def unhex(text, at: str) -> bytes:
    """Lower-case hex, as the adapter protocol writes bytes."""
    if not isinstance(text, str) or len(text) % 2 or any(c not in "0123456789abcdef" for c in text):
        raise BadRequest(f"{at} must be lower-case hex")
    return bytes.fromhex(text)


def uint(value, at: str, limit: int) -> int:
    """A JSON integer in 0..=limit (a bool, a fraction or a string is not one)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= limit:
        raise BadRequest(f"{at} must be an integer from 0 to {limit}")
    return value


class Fields:
    """One JSON object of the request, read field by field."""

    def __init__(self, value, at: str = "args"):
        if not isinstance(value, dict):
            raise BadRequest(f"{at} must be an object")
        self.map, self.at = value, at

    def only(self, *names: str) -> "Fields":
        """Refuses fields other than `names` (a misspelt field is reported, not ignored)."""
        for key in self.map:
            if key not in names:
                raise BadRequest(f"{self.at} has an unknown field `{key}` (expected {', '.join(names)})")
        return self

    def has(self, name: str) -> bool:
        return name in self.map

    def get(self, name: str):
        if name not in self.map:
            raise BadRequest(f"{self.at} has no `{name}`")
        return self.map[name]

    def where(self, name: str) -> str:
        return f"{self.at}.{name}"

    def hex(self, name: str, length: int | None = None) -> bytes:
        value = unhex(self.get(name), self.where(name))
        if length is not None and len(value) != length:
            raise BadRequest(f"{self.where(name)} must be {length} bytes, not {len(value)}")
        return value

    def u32(self, name: str) -> int:
        return uint(self.get(name), self.where(name), U32)

    def u64(self, name: str) -> int:
        return uint(self.get(name), self.where(name), U64)

    def uint(self, name: str, limit: int) -> int:
        return uint(self.get(name), self.where(name), limit)

    def optional_u32(self, name: str) -> int | None:
        value = self.get(name)
        return None if value is None else uint(value, self.where(name), U32)

    def bool(self, name: str) -> bool:
        value = self.get(name)
        if not isinstance(value, bool):
            raise BadRequest(f"{self.where(name)} must be true or false")
        return value

    def str(self, name: str, choices=None) -> str:
        value = self.get(name)
        if not isinstance(value, str):
            raise BadRequest(f"{self.where(name)} must be a string")
        if choices is not None and value not in choices:
            raise BadRequest(f"{self.where(name)} {value!r} is not one of {', '.join(choices)}")
        return value

    def list(self, name: str) -> list:
        value = self.get(name)
        if not isinstance(value, list):
            raise BadRequest(f"{self.where(name)} must be an array")
        return value

    def objects(self, name: str) -> list["Fields"]:
        return [Fields(item, f"{self.where(name)}[{i}]") for i, item in enumerate(self.list(name))]

    def object(self, name: str) -> "Fields":
        return Fields(self.get(name), self.where(name))


def read_events(f: Fields, table: dict, read_field) -> list:
    """A scenario's `events`, every one read before the first runs: [(at, {"event": name, field: value})].
    `table` maps each event name to its fields; `read_field(fields, field, event name)` reads one."""
    events = []
    for e in f.objects("events"):
        at = e.u64("at")
        name = e.str("event", table)
        e.only("at", "event", *table[name])
        events.append((at, {"event": name, **{field: read_field(e, field, name) for field in table[name]}}))
    return events
