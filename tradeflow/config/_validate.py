"""The shared validation template of every config: one error shape, coercion, TOML loading."""

from __future__ import annotations

import dataclasses
import datetime as _dt
import math
import re
import types
import typing
from typing import Any

import numpy as np


# --------------------------------------------------------------------------- validation helpers
def _fail(obj: object, name: str, what: str, value: object) -> None:
    raise ValueError(
        f"The {name!r} parameter of {type(obj).__name__} must be {what}. Got {value!r} instead."
    )


def _positive(obj: object, name: str, *, allow_zero: bool = False) -> None:
    v = getattr(obj, name)
    ok = isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
    ok = ok and (v >= 0 if allow_zero else v > 0)
    if not ok:
        _fail(obj, name, "a finite non-negative number" if allow_zero else "a finite positive number", v)


def _finite(obj: object, name: str) -> None:
    v = getattr(obj, name)
    if not (isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)):
        _fail(obj, name, "a finite number", v)


INT64_MAX = 2**63 - 1


def _positive_int(obj: object, name: str, *, allow_zero: bool = False) -> None:
    v = getattr(obj, name)
    ok = isinstance(v, int | np.integer) and not isinstance(v, bool) and (v >= 0 if allow_zero else v > 0)
    if not ok:
        _fail(obj, name, "a non-negative int" if allow_zero else "a positive int", v)
    if v > INT64_MAX:  # the kernels hold counts and quantities as int64
        _fail(obj, name, f"at most 2**63 - 1 = {INT64_MAX} (an int64)", v)


def _probability(obj: object, name: str) -> None:
    v = getattr(obj, name)
    if not (isinstance(v, int | float) and not isinstance(v, bool) and 0.0 <= v <= 1.0):
        _fail(obj, name, "a probability in [0, 1]", v)


def _coerce_float(obj: object, *names: str) -> None:
    # Frozen dataclasses: coerce ints from TOML (e.g. ``price = 100``) to float in place.
    for n in names:
        v = getattr(obj, n)
        if isinstance(v, int) and not isinstance(v, bool):
            object.__setattr__(obj, n, float(v))


def _parse_hhmm(obj: object, name: str) -> int:
    v = getattr(obj, name)
    try:
        t = _dt.time.fromisoformat(v)
    except (TypeError, ValueError):
        _fail(obj, name, "a time of day 'HH:MM' (UTC)", v)
    return (t.hour * 3600 + t.minute * 60 + t.second) * 1_000_000_000


def _parse_date(obj: object, name: str, v: object) -> np.datetime64:
    # a str 'YYYY-MM-DD' (or a TOML date); never an int such as 20261125, which str() would let through
    if isinstance(v, _dt.date) and not isinstance(v, _dt.datetime):
        return np.datetime64(v, "D")
    if isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
        try:
            return np.datetime64(_dt.date.fromisoformat(v), "D")
        except ValueError:
            pass
    _fail(obj, name, "an ISO date 'YYYY-MM-DD'", v)
    raise AssertionError  # unreachable


def _mic(obj: object, name: str) -> None:
    v = getattr(obj, name)
    if not (isinstance(v, str) and re.fullmatch(r"[A-Z0-9]{4}", v)):
        _fail(obj, name, "an ISO 10383 market identifier code: 4 upper-case letters or digits such as 'XNYS'", v)



# --------------------------------------------------------------------------- immutable mappings
class FrozenDict(dict):
    """A read-only, hashable ``dict``: what a config's mapping fields hold.

    It is still a ``dict`` (``isinstance`` checks, JSON, TOML round trips and equality with a
    plain dict are unchanged); any mutation raises ``TypeError``.

    >>> d = FrozenDict({"USD": 0.02})
    >>> d == {"USD": 0.02}, hash(d) == hash(FrozenDict(USD=0.02))
    (True, True)
    >>> d["EUR"] = 0.05
    Traceback (most recent call last):
    TypeError: a config's mapping is immutable: use dataclasses.replace(config, field={...}) instead
    """

    __slots__ = ()

    def _immutable(self, *args, **kwargs):
        raise TypeError("a config's mapping is immutable: use dataclasses.replace(config, field={...}) instead")

    __setitem__ = __delitem__ = __ior__ = _immutable
    clear = pop = popitem = setdefault = update = _immutable

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(frozenset(self.items()))

    def __reduce__(self):
        return (type(self), (dict(self),))

    def __copy__(self) -> FrozenDict:
        return self

    def __deepcopy__(self, memo) -> FrozenDict:
        return self

    def __repr__(self) -> str:
        return dict.__repr__(self)


def _freeze_mappings(obj: object) -> None:
    """Replace every ``dict`` field of the frozen dataclass ``obj`` by a :class:`FrozenDict` (nested dicts too)."""
    for f in dataclasses.fields(obj):
        v = getattr(obj, f.name)
        if isinstance(v, dict) and not isinstance(v, FrozenDict):
            object.__setattr__(obj, f.name, _frozen(v))


def _frozen(v: Any) -> Any:
    if isinstance(v, dict):
        return FrozenDict({k: _frozen(x) for k, x in v.items()})
    if isinstance(v, list):
        return tuple(_frozen(x) for x in v)
    return v


# --------------------------------------------------------------------------- loading from dicts / TOML
def _to_plain(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj):
        return {f.name: _to_plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, tuple | list):
        return [_to_plain(v) for v in obj]
    if isinstance(obj, dict):
        return {k: _to_plain(v) for k, v in obj.items()}
    return obj


def _build(cls: type, data: Any, where: str) -> Any:
    if isinstance(data, cls):
        return data
    if not isinstance(data, dict):
        raise ValueError(f"{where or cls.__name__} must be a table of {cls.__name__} fields. Got {data!r}.")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ValueError(
            f"Unknown key(s) {unknown} for {cls.__name__}{' at ' + where if where else ''}; "
            f"valid keys: {sorted(names)}."
        )
    kwargs = {}
    for key, value in data.items():
        kwargs[key] = _convert(hints[key], value, f"{where}.{key}" if where else key)
    return cls(**kwargs)


def _convert(hint: Any, value: Any, where: str) -> Any:
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, where)
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis and dataclasses.is_dataclass(args[0]):
        if not isinstance(value, list | tuple):
            raise ValueError(f"{where} must be an array of tables. Got {value!r}.")
        return tuple(_build(args[0], v, f"{where}[{i}]") for i, v in enumerate(value))
    if origin in (types.UnionType, typing.Union) and isinstance(value, list):
        return tuple(tuple(row) if isinstance(row, list) else row for row in value)
    return value
