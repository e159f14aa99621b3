"""Intraday desk strategies: compiled callbacks inside the session loop, or plain Python at a coarse cadence.

A :class:`NumbaStrategy` is a jitted function ``on_event(ctx, state, kind, t, ref)`` and its
own state (any numba-typed object: an array, a tuple of arrays). The session loop calls it
in time order on the events it subscribes to: every ``every`` steps of the quote grid
(``SE_STEP``), its own fills (``SE_FILL``), the clients' fills (``SE_CLIENT_FILL``) and a
timer (``SE_TIMER``). ``ctx`` (:class:`tradeflow._strategy_ctx.StrategyCtx`) is its
read-only view of the desk (positions, average costs, realized P&L and fees per book and
instrument, the top of each book, which venues are open, its own orders; VaR/ES per book and for
the desk through :func:`var_nb`, delta per book and underlying through :func:`delta_nb`, whether
a venue takes orders at a grid step through :func:`open_at_nb`) and where it sends
orders: :func:`send_nb`, :func:`cancel_nb`, :func:`amend_nb`. Its orders carry ``origin =
DESK``, arrive at the desk when sent (the same pre-trade controls, the same reject reasons),
reach their book after ``latency_us`` and go on like any order: fills, positions, risk and
limits, the ledger, settlement and reconciliation. No order is sent for an instrument whose
venue session is closed (``send_nb`` returns -1).

:func:`python_strategy` wraps a plain-Python function as a strategy called on a timer (every
``every_s`` seconds): the compiled loop returns to Python at that cadence (numba's object
mode), for prototyping. Needs the book venue (``ExecutionConfig.venue = "book"``).
"""

from __future__ import annotations

import copy

import numpy as np
from numba import njit, objmode

from tradeflow._strategy_ctx import (
    C_CALLS,
    C_REFUSED,
    C_SENT,
    SE_CLIENT_FILL,
    SE_FILL,
    SE_STEP,
    SE_TIMER,
    StrategyCtx,
    amend_nb,
    cancel_nb,
    delta_nb,
    open_at_nb,
    send_nb,
    var_nb,
    working_nb,
)

__all__ = ["C_CALLS", "C_REFUSED", "C_SENT", "NumbaStrategy", "SE_CLIENT_FILL", "SE_FILL", "SE_STEP", "SE_TIMER",
           "PythonStrategy", "StrategyCtx", "amend_nb", "cancel_nb", "delta_nb", "open_at_nb", "python_strategy",
           "send_nb", "var_nb", "working_nb"]


class NumbaStrategy:
    """An intraday strategy run inside the compiled session loop.

    Parameters
    ----------
    on_event : numba dispatcher
        ``on_event(ctx, state, kind, t, ref)``, jitted (``@numba.njit``).
    state : object
        The strategy's own state, passed to every call (arrays are updated in place). Each
        session starts from the state as it was at the end of the previous one; the run keeps
        a copy so a rerun session starts from the same state.
    every : int, default=1
        Grid steps between ``SE_STEP`` calls (0: none).
    own_fills, client_fills : bool, default=True, False
        Call on its own fills / on the clients' fills.
    timer_s : float, default=0
        Seconds between ``SE_TIMER`` calls from the open (0: none).
    book : int, default=0
        The book its orders trade for.
    latency_us : float, default=100
        From sending to reaching the venue (a cancel too).
    capacity : int, default=20_000
        First guess of its orders per session (a session that sends more runs again with twice).
    client, trader, counterparty : int, default=-1, -1, 0
        Its house client and trader ids (-1: one past the flow's, set by ``simulate``).
    """

    def __init__(self, on_event, state=None, *, every: int = 1, own_fills: bool = True, client_fills: bool = False,
                 timer_s: float = 0.0, book: int = 0, latency_us: float = 100.0, capacity: int = 20_000,
                 client: int = -1, trader: int = -1, counterparty: int = 0):
        if not hasattr(on_event, "py_func"):
            raise TypeError(f"The 'on_event' parameter of NumbaStrategy must be a numba.njit function. "
                            f"Got {type(on_event).__name__} instead.")
        for name, v in (("every", every), ("capacity", capacity), ("book", book)):
            if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < (1 if name == "capacity" else 0):
                raise ValueError(f"The {name!r} parameter of NumbaStrategy must be a non-negative int. "
                                 f"Got {v!r} instead.")
        if not (timer_s >= 0 and latency_us >= 0):
            raise ValueError(f"The 'timer_s' and 'latency_us' parameters of NumbaStrategy must be non-negative. "
                             f"Got {timer_s!r}, {latency_us!r} instead.")
        self.on_event = on_event
        self.state = np.zeros(1) if state is None else state
        self.every, self.own_fills, self.client_fills = int(every), bool(own_fills), bool(client_fills)
        self.timer_s, self.book, self.latency_us, self.capacity = float(timer_s), int(book), float(latency_us), int(
            capacity)
        self.client, self.trader, self.counterparty = int(client), int(trader), int(counterparty)
        self.last_counts = None
        self.initial_state = copy.deepcopy(self.state)

    def reset(self) -> None:
        """Back to the state it was created with (``simulate`` calls it at the start of a run)."""
        self.state = copy.deepcopy(self.initial_state)
        self.last_counts = None


_PY: dict[int, tuple] = {}  # python strategies of this process: key -> (fn, state)


@njit
def _py_on_event(ctx, state, kind, t, ref):
    """Every Python strategy's callback (one compilation): back to Python on its timer."""
    if kind == SE_TIMER:
        key = state[0]
        with objmode():
            fn, st = _PY[key]
            fn(ctx, st, t)


class PythonStrategy(NumbaStrategy):
    """A plain-Python strategy called on a timer (see :func:`python_strategy`)."""

    def __init__(self, fn, state, *, every_s: float, **kwargs):
        super().__init__(_py_on_event, np.array([id(self)], np.int64), every=0, own_fills=False, timer_s=every_s,
                         **kwargs)
        self.fn, self.py_state = fn, state
        self.initial_py_state = copy.deepcopy(state)

    def reset(self) -> None:
        super().reset()
        self.py_state = copy.deepcopy(self.initial_py_state)
        self.state = np.array([id(self)], np.int64)
        _PY[int(self.state[0])] = (self.fn, self.py_state)


def python_strategy(fn, *, every_s: float = 300.0, state=None, **kwargs) -> PythonStrategy:
    """A plain-Python strategy called every ``every_s`` seconds from the open (prototyping).

    ``fn(ctx, state, t)`` gets the same view as a numba strategy (numpy arrays) and sends with
    the same functions (:func:`send_nb`, :func:`cancel_nb`, :func:`amend_nb` work from Python
    too); ``state`` is any Python object (``strategy.py_state`` after the run). The compiled
    loop returns to Python at each call (numba's object mode): one compilation serves every
    Python strategy.
    """
    if not callable(fn):
        raise TypeError(f"The 'fn' parameter of python_strategy must be callable. Got {type(fn).__name__} instead.")
    if not every_s > 0:
        raise ValueError(f"The 'every_s' parameter of python_strategy must be positive. Got {every_s!r} instead.")
    return PythonStrategy(fn, state, every_s=every_s, **kwargs)
