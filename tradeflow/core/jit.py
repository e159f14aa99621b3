"""How the per-event kernels are compiled: without numba's reference counts.

A session or batch loop calls a few functions per order, fill or book event, and passes them
the desk's state bundles (:mod:`tradeflow.middle.nb`: dozens of arrays). Compiled as usual,
every such call increments and decrements the reference count of every array it receives,
an atomic instruction each: on the default desk-day that was 70% of the desk loop's time
(``perf`` on the arrivals: ``NRT_incref``/``NRT_decref``), more than the order checks
themselves. :func:`event_njit` compiles a function without numba's runtime (NRT), so the
arrays a function borrows from its caller cost nothing to pass.

The contract that makes this safe: an event function only reads and writes arrays its
caller owns. It allocates nothing (numba refuses ``np.empty`` and the like in it when
compiling) and returns no array. Functions that allocate (a scratch array, a sort) keep
:func:`numba.njit`; an event function may still call them. Loops called from Python keep
:func:`numba.njit` too: their own references are counted once per call, not per event.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from numba import njit

__all__ = ["EVENT_OPTIONS", "event_njit"]

#: numba options of an event function: cached on disk, the GIL released, no reference counts.
EVENT_OPTIONS: dict[str, Any] = {"cache": True, "nogil": True, "_nrt": False}


def event_njit(fn: Callable | None = None, /, **options: Any):
    """Compile a per-event kernel function with :data:`EVENT_OPTIONS` (plus ``options``, e.g. ``inline="always"``).

    Usable bare (``@event_njit``) or with options (``@event_njit(inline="always")``).

    Examples
    --------
    >>> import numpy as np
    >>> @event_njit(cache=False)  # a doctest has no file to cache beside
    ... def add_fill(pos, i, qty):
    ...     pos[i] += qty
    >>> pos = np.zeros(2, np.int64)
    >>> add_fill(pos, 1, 5)
    >>> pos.tolist()
    [0, 5]
    """
    opts = {**EVENT_OPTIONS, **options}
    if fn is None:
        return lambda f: njit(**opts)(f)
    return njit(**opts)(fn)
