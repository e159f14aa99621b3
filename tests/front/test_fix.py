"""FIX 4.4 export: framing, checksums, and FIX quantity semantics over a whole run."""

import numpy as np

from tradeflow.front.fix import SOH, fix_messages, parse_fix


def test_fix_export_of_a_run(small_run):
    rec = small_run.records
    orders = rec["orders"][:400]
    events = rec["events"][np.isin(rec["events"]["order_id"], orders["order_id"])]
    symbols = list(small_run.instruments["symbol"])
    ccys = [small_run.market.currencies[c] for c in small_run.instruments["currency_id"]]
    msgs = fix_messages(orders, events, symbols, ccys)
    assert len(msgs) == len(orders) + len(events)
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
            continue
        assert f[11] in seen_new  # an execution report never precedes its order
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
    assert len(msgs) == len(rec["orders"]) + len(rec["events"])
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
