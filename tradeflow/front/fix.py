"""FIX 4.4 export: NewOrderSingle (35=D) / OrderCancelReplaceRequest (35=G) and ExecutionReport (35=8).

The run's orders and order events (``RunResult.records["orders"]`` / ``["events"]``) become
tag=value messages with a correct BodyLength (9) and CheckSum (10), for tools that speak FIX.
Execution reports carry FIX's quantities: CumQty (14) + LeavesQty (151) = OrderQty (38) while an
order works or when it is filled; a cancelled, expired or rejected order reports LeavesQty 0.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from tradeflow.schema import EventKind, OrderOrigin, OrderType, TimeInForce

__all__ = ["SOH", "fix_messages", "parse_fix"]

SOH = "\x01"
_EXEC_TYPE = {EventKind.ACCEPTED: "0", EventKind.PARTIALLY_FILLED: "F", EventKind.FILLED: "F",
              EventKind.CANCELLED: "4", EventKind.EXPIRED: "C", EventKind.REJECTED: "8"}
_ORD_STATUS = {EventKind.ACCEPTED: "0", EventKind.PARTIALLY_FILLED: "1", EventKind.FILLED: "2",
               EventKind.CANCELLED: "4", EventKind.EXPIRED: "C", EventKind.REJECTED: "8"}
_TIF = {TimeInForce.DAY: "0", TimeInForce.IOC: "3", TimeInForce.FOK: "4"}


def _ts(ns: int) -> str:
    return pd.Timestamp(int(ns), unit="ns", tz="UTC").strftime("%Y%m%d-%H:%M:%S.%f")[:-3]


def _wrap(msg_type: str, body: list[tuple[int, object]], seq: int, sending_ns: int, sender: str, target: str) -> str:
    fields = [(35, msg_type), (49, sender), (56, target), (34, seq), (52, _ts(sending_ns)), *body]
    text = "".join(f"{t}={v}{SOH}" for t, v in fields)
    head = f"8=FIX.4.4{SOH}9={len(text.encode())}{SOH}"
    checksum = sum((head + text).encode()) % 256
    return f"{head}{text}10={checksum:03d}{SOH}"


def _px(x: float) -> str:
    return f"{x:.10g}"


def fix_messages(orders: np.ndarray, events: np.ndarray, symbols: Sequence[str], currencies: Sequence[str],
                 *, sender: str = "TRADEFLOW", target: str = "VENUE") -> list[str]:
    """FIX 4.4 messages for a run's orders and their lifecycle events, in time order.

    Parameters
    ----------
    orders : ORDER_DT records
    events : ORDER_EVENT_DT records (the middle office's accepted/rejected/fill/cancel/expiry events)
    symbols : sequence of str
        Symbol of each instrument id.
    currencies : sequence of str
        Currency of each instrument id.

    Returns
    -------
    list of str, SOH-delimited messages: each order's NewOrderSingle (or OrderCancelReplaceRequest
    when it replaces an order, ``origin`` = REPLACE, with OrigClOrdID 41; an algo child carries its
    parent as SecondaryClOrdID 526 = ``P<parent_id>``) followed, in time order, by
    its ExecutionReports.
    """
    row = {int(o): k for k, o in enumerate(orders["order_id"])}
    items: list[tuple[int, int, int, str, list[tuple[int, object]]]] = []
    for k in range(orders.shape[0]):
        o = orders[k]
        body: list[tuple[int, object]] = [
            (11, int(o["order_id"])), (1, f"BOOK{int(o['book'])}"), (55, symbols[int(o["instrument"])]),
            (54, "1" if o["side"] > 0 else "2"), (60, _ts(o["ts"])), (38, int(o["qty"])),
            (40, "1" if o["order_type"] == OrderType.MARKET else "2"), (59, _TIF[TimeInForce(int(o["tif"]))]),
            (15, currencies[int(o["instrument"])]), (100, f"VENUE{int(o['venue'])}"),
            (448, f"CLIENT{int(o['client'])}")]
        if o["order_type"] == OrderType.LIMIT:
            body.insert(8, (44, _px(float(o["limit_price"]))))
        msg_type = "D"
        if o["origin"] == OrderOrigin.REPLACE:
            msg_type = "G"
            body.insert(1, (41, int(o["parent_id"])))
        elif o["origin"] == OrderOrigin.ALGO_CHILD:
            body.append((526, f"P{int(o['parent_id'])}"))  # SecondaryClOrdID: the algo parent
        items.append((int(o["ts"]), 0, k, msg_type, body))
    cum_notional = np.zeros(orders.shape[0])
    for e in range(events.shape[0]):
        ev = events[e]
        k = row[int(ev["order_id"])]
        o = orders[k]
        kind = EventKind(int(ev["kind"]))
        body = [(37, int(o["order_id"])), (11, int(o["order_id"])), (17, f"E{int(ev['event_id'])}"),
                (150, _EXEC_TYPE[kind]), (39, _ORD_STATUS[kind]), (55, symbols[int(o["instrument"])]),
                (54, "1" if o["side"] > 0 else "2"), (38, int(o["qty"]))]
        if kind in (EventKind.FILLED, EventKind.PARTIALLY_FILLED):
            cum_notional[k] += float(ev["qty"]) * float(ev["price"])
            body += [(32, int(ev["qty"])), (31, _px(float(ev["price"])))]
        cum = int(ev["cum_qty"])
        leaves = int(o["qty"]) - cum if kind in (EventKind.ACCEPTED, EventKind.FILLED,
                                                EventKind.PARTIALLY_FILLED) else 0
        avg = cum_notional[k] / cum if cum > 0 else 0.0
        body += [(14, cum), (151, leaves), (6, _px(avg)), (60, _ts(ev["ts"]))]
        if kind == EventKind.REJECTED:
            body.append((103, "99"))  # FIX OrdRejReason "Other"; the reason code is in 58=Text
            body.append((58, f"REASON{int(ev['reason'])}"))
        items.append((int(ev["ts"]), 1, e, "8", body))
    items.sort(key=lambda it: (it[0], it[1], it[2]))
    return [_wrap(mt, body, seq + 1, ts, sender if mt != "8" else target, target if mt != "8" else sender)
            for seq, (ts, _, _, mt, body) in enumerate(items)]


def parse_fix(message: str) -> dict[int, str]:
    """Tags and values of one SOH-delimited FIX message (the last occurrence of a repeated tag wins)."""
    out: dict[int, str] = {}
    for field in message.strip(SOH).split(SOH):
        tag, _, value = field.partition("=")
        out[int(tag)] = value
    return out
