"""Order state (numba): every order-state transition, in one place.

NEW -> PARTIALLY_FILLED -> FILLED, cancel, expire, reject, and replace (a cancel/replace
against the order it replaces). The desk loop's order records and RiskEngine's order table both
go through these functions (they read the ``status``, ``qty``, ``filled_qty``, ``client``,
``book``, ``instrument`` and ``side`` fields by name), and the order events are written here.
"""

from __future__ import annotations

from tradeflow.core.jit import event_njit
from tradeflow.core.search import lower_bound_nb
from tradeflow.middle._codes import (
    R_NONE,
    R_TOO_LATE_TO_REPLACE,
    R_UNKNOWN_ORDER,
    S_CANCELLED,
    S_EXPIRED,
    S_FILLED,
    S_NEW,
    S_PARTIALLY_FILLED,
    S_REJECTED,
)
from tradeflow.middle._pretrade import order_release_nb


@event_njit
def order_event_nb(events, n, order_id, ts, kind, reason, qty, price, cum, leaves):
    """Write order event ``n`` (an EventKind ``kind``, its reason, quantities and price); returns ``n + 1``."""
    events[n]["event_id"] = n
    events[n]["order_id"] = order_id
    events[n]["ts"] = ts
    events[n]["kind"] = kind
    events[n]["reason"] = reason
    events[n]["qty"] = qty
    events[n]["price"] = price
    events[n]["cum_qty"] = cum
    events[n]["leaves_qty"] = leaves
    return n + 1


@event_njit
def replace_qty_nb(orders, k):
    """A cancel/replace (row ``k``) against the order it replaces: ``(reason, qty)``.

    The replacement stands for what the original has left (FIX: the new OrderQty less the
    original's CumQty); it is refused when the original was never accepted (or is not in
    ``orders``) or has already filled in full, as a venue refuses a replace that comes too late.
    """
    target = orders[k]["parent_id"]
    lo = lower_bound_nb(orders["order_id"][:k], target)  # the replaced order came first
    if lo >= k or orders[lo]["order_id"] != target or orders[lo]["status"] == S_REJECTED:
        return R_UNKNOWN_ORDER, orders[k]["qty"]
    if orders[lo]["status"] == S_FILLED:
        return R_TOO_LATE_TO_REPLACE, orders[k]["qty"]
    return R_NONE, min(orders[k]["qty"], orders[lo]["qty"] - orders[lo]["filled_qty"])


@event_njit(inline="always")
def is_working_nb(status):
    """True while an order works on the venue (NEW or PARTIALLY_FILLED): fills, a cancel or expiry may follow."""
    return status == S_NEW or status == S_PARTIALLY_FILLED


@event_njit
def order_open_nb(tab, k, reason):
    """The controls' verdict on order ``k`` of ``tab``: NEW when accepted (``reason`` 0), else REJECTED."""
    tab[k]["status"] = S_NEW if reason == R_NONE else S_REJECTED


@event_njit(inline="always")
def order_fill_nb(tab, k, q):
    """``q`` more of working order ``k`` filled: PARTIALLY_FILLED, or FILLED when nothing is left.
    Returns the cumulative filled quantity."""
    cum = tab[k]["filled_qty"] + q
    tab[k]["filled_qty"] = cum
    tab[k]["status"] = S_FILLED if cum == tab[k]["qty"] else S_PARTIALLY_FILLED
    return cum


@event_njit
def order_cancel_nb(ctl, ps, tab, k, px, fx_to_base):
    """Working order ``k`` cancelled: what is left stops working and its notional (at ``px`` x
    ``fx_to_base``) goes back to the client's credit. Returns the cancelled (leaves) quantity."""
    leaves = tab[k]["qty"] - tab[k]["filled_qty"]
    order_release_nb(ctl, ps, tab[k]["client"], tab[k]["book"], tab[k]["instrument"], tab[k]["side"], leaves, px,
                     fx_to_base, True)
    tab[k]["status"] = S_CANCELLED
    return leaves


@event_njit
def order_expire_nb(ctl, ps, tab, k):
    """Working order ``k`` expired (the session closed): what is left stops working; the credit stays
    used until the session counters reset. Returns the expired (leaves) quantity."""
    leaves = tab[k]["qty"] - tab[k]["filled_qty"]
    order_release_nb(ctl, ps, tab[k]["client"], tab[k]["book"], tab[k]["instrument"], tab[k]["side"], leaves, 0.0,
                     0.0, False)
    tab[k]["status"] = S_EXPIRED
    return leaves
