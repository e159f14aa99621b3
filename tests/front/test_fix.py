"""FIX 4.4 export: framing, checksums, and FIX quantity semantics over a whole run."""

import numpy as np
import pandas as pd
import pytest

from tradeflow.front.fix import SOH, fix_messages, parse_fix
from tradeflow.schema import EventKind, OrderOrigin, OrderType, RejectReason, TimeInForce

# ---------------------------------------------------------------- the slow, obvious reference: one message at a time
_EXEC_TYPE = {EventKind.ACCEPTED: "0", EventKind.PARTIALLY_FILLED: "F", EventKind.FILLED: "F",
              EventKind.CANCELLED: "4", EventKind.EXPIRED: "C", EventKind.REJECTED: "8"}
_ORD_STATUS = {EventKind.ACCEPTED: "0", EventKind.PARTIALLY_FILLED: "1", EventKind.FILLED: "2",
               EventKind.CANCELLED: "4", EventKind.EXPIRED: "C", EventKind.REJECTED: "8"}
_TIF = {TimeInForce.DAY: "0", TimeInForce.IOC: "3", TimeInForce.FOK: "4"}


def _ts(ns):
    return pd.Timestamp(int(ns), unit="ns", tz="UTC").strftime("%Y%m%d-%H:%M:%S.%f")[:-3]


def _wrap(msg_type, body, seq, sending_ns, sender, target):
    fields = [(35, msg_type), (49, sender), (56, target), (34, seq), (52, _ts(sending_ns)), *body]
    text = "".join(f"{t}={v}{SOH}" for t, v in fields)
    head = f"8=FIX.4.4{SOH}9={len(text.encode())}{SOH}"
    checksum = sum((head + text).encode()) % 256
    return f"{head}{text}10={checksum:03d}{SOH}"


def _px(x):
    return f"{x:.10g}"


def reference_fix_messages(orders, events, symbols, currencies, *, venues=None, sender="TRADEFLOW",
                           target="VENUE"):
    """The export written from its documentation, one record at a time in plain Python.

    Parties group 453/448/447/452; MsgSeqNum per direction; an accepted replacement is one
    ExecType 5 report (and the original's cancel is not written) with OrderID the original's,
    OrderQty the new total and CumQty/AvgPx carried over; a refused replacement an
    OrderCancelReject (35=9).
    """
    row = {int(o): k for k, o in enumerate(orders["order_id"])}
    kinds = [EventKind(int(e["kind"])) for e in events]
    accepted = {row[int(e["order_id"])] for e, kd in zip(events, kinds, strict=True) if kd == EventKind.ACCEPTED}
    fills = {}
    for e, kd in zip(events, kinds, strict=True):
        if kd in (EventKind.FILLED, EventKind.PARTIALLY_FILLED):
            q, n0 = fills.get(row[int(e["order_id"])], (0, 0.0))
            fills[row[int(e["order_id"])]] = (q + int(e["qty"]), n0 + float(e["qty"]) * float(e["price"]))
    orig_of, base = {}, {}
    for k in range(orders.shape[0]):
        o = orders[k]
        if o["origin"] == OrderOrigin.REPLACE and int(o["parent_id"]) in row:
            orig_of[k] = row[int(o["parent_id"])]
            if k in accepted:
                base[k] = fills.get(orig_of[k], (0, 0.0))
    superseded = {orig_of[k] for k in base}
    items = []
    for k in range(orders.shape[0]):
        o = orders[k]
        b_cum = base.get(k, (0, 0.0))[0]
        body = [
            (11, int(o["order_id"])), (1, f"BOOK{int(o['book'])}"), (453, 1), (448, f"CLIENT{int(o['client'])}"),
            (447, "D"), (452, 3), (55, symbols[int(o["instrument"])]),
            (54, "1" if o["side"] > 0 else "2"), (60, _ts(o["ts"])), (38, int(o["qty"]) + b_cum),
            (40, "1" if o["order_type"] == OrderType.MARKET else "2"), (59, _TIF[TimeInForce(int(o["tif"]))])]
        if o["order_type"] == OrderType.LIMIT:
            body.append((44, _px(float(o["limit_price"]))))
        body.append((15, currencies[int(o["instrument"])]))
        if venues is not None:
            body.append((100, venues[int(o["venue"])]))
        msg_type = "D"
        if o["origin"] == OrderOrigin.REPLACE:
            msg_type = "G"
            body.insert(1, (41, int(o["parent_id"])))
        elif o["origin"] == OrderOrigin.ALGO_CHILD:
            body.append((526, f"P{int(o['parent_id'])}"))
        items.append((int(o["ts"]), 0, k, msg_type, body))
    cum_notional = {}
    for e in range(events.shape[0]):
        ev = events[e]
        k = row[int(ev["order_id"])]
        o = orders[k]
        kind = kinds[e]
        if kind == EventKind.CANCELLED and k in superseded:
            continue
        if kind == EventKind.REJECTED and o["origin"] == OrderOrigin.REPLACE:
            reason = int(ev["reason"])
            known = k in orig_of and reason != RejectReason.UNKNOWN_ORDER
            if reason == RejectReason.TOO_LATE_TO_REPLACE:
                code, status = 0, "2"
            elif not known:
                code, status = 1, "8"
            else:
                code, status = 99, "1" if fills.get(orig_of[k], (0, 0.0))[0] > 0 else "0"
            body = [(37, int(orders[orig_of[k]]["order_id"]) if known else "NONE"), (11, int(o["order_id"])),
                    (41, int(o["parent_id"])), (39, status), (434, 2), (102, code), (58, f"REASON{reason}"),
                    (60, _ts(ev["ts"]))]
            items.append((int(ev["ts"]), 1, e, "9", body))
            continue
        b_cum, b_not = base.get(k, (0, 0.0))
        replaced = kind == EventKind.ACCEPTED and k in base
        exec_type, status = ("5", "1" if b_cum > 0 else "0") if replaced else (_EXEC_TYPE[kind], _ORD_STATUS[kind])
        body = [(37, int(orders[orig_of[k]]["order_id"]) if k in base else int(o["order_id"])),
                (11, int(o["order_id"]))]
        if replaced:
            body.append((41, int(o["parent_id"])))
        body += [(17, f"E{int(ev['event_id'])}"), (150, exec_type), (39, status), (55, symbols[int(o["instrument"])]),
                 (54, "1" if o["side"] > 0 else "2"), (38, int(o["qty"]) + b_cum)]
        if kind in (EventKind.FILLED, EventKind.PARTIALLY_FILLED):
            cum_notional[k] = cum_notional.get(k, 0.0) + float(ev["qty"]) * float(ev["price"])
            body += [(32, int(ev["qty"])), (31, _px(float(ev["price"])))]
            if venues is not None:
                body.append((30, venues[int(o["venue"])]))
        cum = int(ev["cum_qty"])
        leaves = int(o["qty"]) - cum if kind in (EventKind.ACCEPTED, EventKind.FILLED,
                                                EventKind.PARTIALLY_FILLED) else 0
        avg = (cum_notional.get(k, 0.0) + b_not) / (cum + b_cum) if cum + b_cum > 0 else 0.0
        body += [(14, cum + b_cum), (151, leaves), (6, _px(avg)), (60, _ts(ev["ts"]))]
        if kind == EventKind.REJECTED:
            body.append((103, "99"))
            body.append((58, f"REASON{int(ev['reason'])}"))
        items.append((int(ev["ts"]), 1, e, "8", body))
    items.sort(key=lambda it: (it[0], it[1], it[2]))
    out, seq = [], {True: 0, False: 0}
    for ts, _, _, mt, body in items:
        desk = mt in ("D", "G")
        seq[desk] += 1
        out.append(_wrap(mt, body, seq[desk], ts, sender if desk else target, target if desk else sender))
    return out


def test_fix_export_of_a_run(small_run):
    rec = small_run.records
    orders = rec["orders"][:400]
    events = rec["events"][np.isin(rec["events"]["order_id"], orders["order_id"])]
    symbols = list(small_run.instruments["symbol"])
    ccys = [small_run.market.currencies[c] for c in small_run.instruments["currency_id"]]
    venues = small_run.venues
    msgs = fix_messages(orders, events, symbols, ccys, venues=venues)
    # an accepted replacement's Replaced report stands for its original's cancel too
    assert len(msgs) <= len(orders) + len(events)
    mic_of = dict(zip(symbols, small_run.instruments["mic"], strict=True))
    seen_new = set()
    for m in msgs:
        assert m.startswith(f"8=FIX.4.4{SOH}9=")
        head, body_and_sum = m.split(f"{SOH}35=", 1)
        body = "35=" + body_and_sum[: body_and_sum.rindex("10=")]
        assert int(head.split("9=")[1]) == len(body.encode())
        assert int(m[-4:-1]) == sum(m[: m.rindex("10=")].encode()) % 256
        f = parse_fix(m)
        if f[35] in ("D", "G"):
            seen_new.add(f[11])
            assert f[100] == mic_of[f[55]]  # ExDestination: the instrument's listing venue
            continue
        assert f[11] in seen_new  # an execution report never precedes its order
        if f[35] == "9":
            continue
        assert f.get(30) == (mic_of[f[55]] if f[150] == "F" else None)  # LastMkt on fills only
        qty, cum, leaves = int(f[38]), int(f[14]), int(f[151])
        if f[39] in ("0", "1", "2"):
            assert qty == cum + leaves
        else:
            assert leaves == 0 and cum <= qty
        if f[150] == "F":
            assert float(f[31]) > 0 and int(f[32]) > 0
    # fills in the messages add up to the orders' filled quantities
    filled = {}
    for m in msgs:
        f = parse_fix(m)
        if f.get(150) == "F":
            filled[int(f[11])] = filled.get(int(f[11]), 0) + int(f[32])
    for o in orders:
        assert filled.get(int(o["order_id"]), 0) == o["filled_qty"]


def test_run_result_fix_messages_name_replaced_orders_and_algo_parents():
    import tradeflow
    from tests.conftest import small_config
    from tradeflow.schema import OrderOrigin

    run = tradeflow.simulate(small_config(1_500, flow={"algo_share": 0.2, "replace_rate": 0.2}), seed=2,
                             progress=False)
    msgs = run.fix_messages(sender="DESK")
    rec = run.records
    n_replaced = sum(parse_fix(m).get(150) == "5" for m in msgs)
    assert n_replaced > 0 and len(msgs) == len(rec["orders"]) + len(rec["events"]) - n_replaced
    origin = dict(zip(rec["orders"]["order_id"].tolist(), rec["orders"]["origin"].tolist(), strict=True))
    parent = dict(zip(rec["orders"]["order_id"].tolist(), rec["orders"]["parent_id"].tolist(), strict=True))
    n_g = n_child = 0
    for m in msgs:
        f = parse_fix(m)
        if f[35] not in ("D", "G"):
            continue
        assert f[49] == "DESK"
        oid = int(f[11])
        if origin[oid] == OrderOrigin.REPLACE:
            n_g += 1
            assert f[35] == "G" and int(f[41]) == parent[oid]
        else:
            assert f[35] == "D" and 41 not in f
        if origin[oid] == OrderOrigin.ALGO_CHILD:
            n_child += 1
            assert f[526] == f"P{parent[oid]}"
        else:
            assert 526 not in f
    assert n_g > 0 and n_child > 0


@pytest.mark.parametrize("with_venues", [True, False])
def test_fix_export_equals_the_message_at_a_time_reference(small_run, with_venues):
    rec = small_run.records
    orders = rec["orders"][:1_500]
    events = rec["events"][np.isin(rec["events"]["order_id"], orders["order_id"])]
    assert {2, 3, 1} <= set(events["kind"].tolist())  # fills, partial fills and rejects are in the sample
    symbols = list(small_run.instruments["symbol"])
    ccys = [small_run.market.currencies[c] for c in small_run.instruments["currency_id"]]
    venues = small_run.venues if with_venues else None
    want = reference_fix_messages(orders, events, symbols, ccys, venues=venues, sender="DESK", target="XCHG")
    got = fix_messages(orders, events, symbols, ccys, venues=venues, sender="DESK", target="XCHG")
    assert got == want


def test_fix_export_of_a_shuffled_multi_day_run_equals_the_reference():
    import tradeflow
    from tests.conftest import small_config

    run = tradeflow.simulate(small_config(800, days=2, flow={"algo_share": 0.2, "replace_rate": 0.2}), seed=5,
                             progress=False)
    rec = run.records
    # events out of order and orders with a non-ASCII symbol: ties, seq numbers and byte counts still agree
    events = rec["events"][np.random.default_rng(0).permutation(len(rec["events"]))]
    symbols = [f"{s}\u00e9" if k == 0 else s for k, s in enumerate(run.instruments["symbol"])]
    ccys = [run.market.currencies[c] for c in run.instruments["currency_id"]]
    want = reference_fix_messages(rec["orders"], events, symbols, ccys, venues=run.venues)
    got = fix_messages(rec["orders"], events, symbols, ccys, venues=run.venues)
    assert got == want
    assert len({parse_fix(m)[52][:8] for m in got}) == 2  # both sessions' dates


def test_fix_export_rejects_unknown_orders_and_codes(small_run):
    rec = small_run.records
    orders, events = rec["orders"][:50], rec["events"][:0]
    symbols = list(small_run.instruments["symbol"])
    ccys = ["USD"] * len(symbols)
    assert fix_messages(orders[:0], events, symbols, ccys) == []
    stray = rec["events"][:1].copy()
    stray["order_id"] = 10**12
    with pytest.raises(ValueError, match="names orders not in 'orders'"):
        fix_messages(orders, stray, symbols, ccys)
    bad = orders.copy()
    bad["tif"][3] = 9
    with pytest.raises(ValueError, match="'tif'"):
        fix_messages(bad, events, symbols, ccys)
    with pytest.raises(ValueError, match="'venues' parameter"):
        fix_messages(orders, events, symbols, ccys, venues=[])
    with pytest.raises(ValueError, match="'symbols' parameter"):
        fix_messages(orders, events, symbols[:1], ccys)
