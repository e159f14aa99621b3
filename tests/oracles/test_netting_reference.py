"""Netting against a plain-Python reference written from the documentation (BIS DvP models 1-3).

``net_all`` (model 3) nets securities and cash bilaterally per book x counterparty x instrument
x settlement date, whatever the trade dates: obligations due the same day net together, e.g.
Friday's T+2 and the next business day's T+1 trades at a switch to T+1 (US: trades from
2024-05-28; the EU: from 2027-10-11).
"""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import tradeflow
from tests.conftest import small_config
from tradeflow.back import net_obligations
from tradeflow.back.netting import fold_into_open
from tradeflow.schema import SETTLEMENT_DT


def reference_net(instructions, model):
    """model 1/2: one obligation per instruction; model 3: sums per (book, counterparty, instrument, settle date)."""
    groups = {}
    for j, r in enumerate(instructions):
        key = (j,) if model != "net_all" else (int(r["book"]), int(r["counterparty"]), int(r["instrument"]),
                                               int(r["settle_date"]))
        g = groups.setdefault(key, {"qty": 0, "cash": 0, "n": 0, "members": []})
        g["qty"] += int(r["side"]) * int(r["qty"])
        g["cash"] += int(r["cash_amount"])
        g["n"] += 1
        g["members"].append(j)
    return groups


def _instructions(rows):
    ins = np.zeros(len(rows), SETTLEMENT_DT)
    for j, (book, cpty, inst, trade_date, lag, side, qty, px) in enumerate(rows):
        ins[j]["instruction_id"] = j
        ins[j]["fill_id"] = j
        ins[j]["book"], ins[j]["counterparty"], ins[j]["instrument"] = book, cpty, inst
        ins[j]["trade_date"], ins[j]["settle_date"] = trade_date, trade_date + lag
        ins[j]["side"], ins[j]["qty"], ins[j]["cash_amount"] = side, qty, side * qty * px
    return ins


ROW = st.tuples(st.integers(0, 2), st.integers(0, 2), st.integers(0, 2), st.integers(20_000, 20_003),
                st.integers(1, 3), st.sampled_from([1, -1]), st.integers(1, 500), st.integers(1, 10_000))


@settings(deadline=None, max_examples=60)
@given(rows=st.lists(ROW, min_size=1, max_size=40), model=st.sampled_from(["gross", "net_cash", "net_all"]))
def test_net_obligations_match_the_reference(rows, model):
    ins = _instructions(rows)
    obl, obl_of = net_obligations(ins, model, first_obligation_id=7)
    ref = reference_net(ins, model)
    assert obl.shape[0] == len(ref)
    assert (obl["obligation_id"] == 7 + np.arange(obl.shape[0])).all()
    for g in ref.values():
        ids = {int(obl_of[j]) for j in g["members"]}
        assert len(ids) == 1  # one obligation per group, and only its members in it
        o = obl[ids.pop() - 7]
        assert (int(o["qty"]), int(o["cash"]), int(o["n_instructions"])) == (g["qty"], g["cash"], g["n"])
        first = ins[g["members"][0]]
        assert (o["book"], o["counterparty"], o["instrument"], o["settle_date"]) == (
            first["book"], first["counterparty"], first["instrument"], first["settle_date"])


@settings(deadline=None, max_examples=40)
@given(rows=st.lists(ROW, min_size=2, max_size=40), split=st.integers(1, 39))
def test_netting_in_daily_batches_equals_netting_at_once(rows, split):
    """Instructions booked over two days (the office's batches) net as if booked at once, as long as the
    first day's obligations are not due yet (settle dates after the second day)."""
    rows = sorted(rows, key=lambda r: r[3])
    split = min(split, len(rows) - 1)
    ins = _instructions(rows)
    day1, day2 = ins[:split], ins[split:]
    as_of = int(day2["trade_date"].min())
    if (day1["settle_date"] <= as_of).any():
        return  # already due on day 2: attempted, no longer nettable
    o1, of1 = net_obligations(day1, "net_all")
    o2, of2 = net_obligations(day2, "net_all", first_obligation_id=o1.shape[0])
    o1, o2, of2, _ = fold_into_open(o1, o2, of2, as_of=as_of)
    allo = np.concatenate([o1, o2])
    assert (allo["obligation_id"] == np.arange(allo.shape[0])).all()
    of = np.r_[of1, of2]
    ref = reference_net(ins, "net_all")
    assert allo.shape[0] == len(ref)
    for g in ref.values():
        ids = {int(of[j]) for j in g["members"]}
        assert len(ids) == 1
        o = allo[ids.pop()]
        assert (int(o["qty"]), int(o["cash"]), int(o["n_instructions"])) == (g["qty"], g["cash"], g["n"])


def test_friday_t2_and_tuesday_t1_net_together_at_the_us_switch():
    # US T+1 from 2024-05-28: Friday 24 May T+2 (Monday 27 is Memorial Day) and Tuesday 28 May T+1
    # both settle Wednesday 29 May
    # three run days: Friday, Monday (Memorial Day: the EU venues trade, the US ones do not), Tuesday
    cfg = small_config(600, days=3, market={"trade_date": "2024-05-24"}, settlement={"netting": "net_all"})
    run = tradeflow.simulate(cfg, seed=1, progress=False)
    ins, obl = run.records["settlements"], run.records["obligations"]
    usd = np.array([run.market.currencies[c] == "USD" for c in ins["currency"]])
    wed = np.datetime64("2024-05-29").astype(np.int64)
    fri, tue = np.datetime64("2024-05-24").astype(np.int64), np.datetime64("2024-05-28").astype(np.int64)
    assert set(ins["settle_date"][usd & (ins["trade_date"] == fri)].tolist()) == {wed}
    assert set(ins["settle_date"][usd & (ins["trade_date"] == tue)].tolist()) == {wed}
    # one obligation per key over the whole run, and the reference's sums
    ref = reference_net(ins, "net_all")
    assert obl.shape[0] == len(ref)
    both_days = 0
    for g in ref.values():
        ids = {int(ins["obligation_id"][j]) for j in g["members"]}
        assert len(ids) == 1
        o = obl[obl["obligation_id"] == ids.pop()][0]
        assert (int(o["qty"]), int(o["cash"]), int(o["n_instructions"])) == (g["qty"], g["cash"], g["n"])
        both_days += len({int(ins["trade_date"][j]) for j in g["members"]}) == 2
    assert both_days > 0
    # the run still balances and settles: no breaks from the folded obligations
    assert len(run.records["breaks"]) == 0 or set(run.breaks["kind"]) <= {"STATEMENT_MISMATCH"}
