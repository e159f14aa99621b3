"""The speed kernels of the back office against slow, obvious references (numpy / pandas / plain Python)."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tradeflow.back import book_fills, net_obligations
from tradeflow.back import nb as bk
from tradeflow.back._recon_breaks import (
    _ledger_booking_breaks,
    _occurrences,
    _posting_breaks,
    _trade_postings,
    _unbalanced_breaks,
    _unique_rows,
)
from tradeflow.back.ledger import asset_totals
from tradeflow.back.netting import _group_by_sort, group_in_order
from tradeflow.back.settlement import to_minor
from tradeflow.schema import (
    BREAK_DT,
    FILL_DT,
    LEDGER_DT,
    OBLIGATION_DT,
    SETTLEMENT_DT,
    SETTLEMENT_EVENT_DT,
    AccountKind,
    BreakKind,
    SettlementStatus,
    TxnType,
)

ids = hnp.arrays(np.int64, st.integers(0, 60), elements=st.integers(-5, 30))


@given(values=ids)
def test_sorted_counts_match_numpy_unique(values):
    values = np.sort(values)
    out = [np.empty(len(values), np.int64) for _ in range(3)]
    m = bk.sorted_counts_nb(values, *out)
    exp = np.unique(values, return_index=True, return_counts=True)
    for got, e in zip(out, exp, strict=True):
        np.testing.assert_array_equal(got[:m], e)
    assert bk.is_sorted_nb(values) and (len(values) < 2 or bk.is_sorted_nb(values[::-1]) == (values[0] == values[-1]))


@given(keys=ids, values=ids, sort_keys=st.booleans())
def test_occurrences_match_a_count(keys, values, sort_keys):
    keys = np.sort(keys) if sort_keys else keys
    exp = np.array([(values == k).sum() for k in keys], np.int64)
    np.testing.assert_array_equal(_occurrences(keys, values), exp)  # unsorted values: the numpy path
    np.testing.assert_array_equal(_occurrences(keys, np.sort(values)), exp)  # sorted: the kernel


@given(keys=hnp.arrays(np.int64, st.tuples(st.integers(0, 50), st.integers(1, 5)), elements=st.integers(-3, 40)),
       wide=st.booleans())
def test_packing_and_grouping_match_a_sort(keys, wide):
    wide = wide and len(keys) >= 2
    if wide:
        keys[0, 0], keys[1, 0] = -(2**62), 2**62  # too wide to pack: the sort fallback
    cols = [keys[:, j].copy() for j in range(keys.shape[1])]
    packed = np.empty(len(keys), np.int64)
    ok = bk.pack_keys_nb(keys, packed)
    assert ok == (not wide)
    if ok:  # equal rows <=> equal packed values
        same_row = (keys[:, None, :] == keys[None, :, :]).all(axis=2)
        np.testing.assert_array_equal(same_row, packed[:, None] == packed[None, :])
    if len(keys):
        group, first = group_in_order(*cols)
        exp_group, exp_first = _group_by_sort(tuple(cols))
        np.testing.assert_array_equal(group, exp_group)
        np.testing.assert_array_equal(first, exp_first)


@st.composite
def instructions(draw):
    n = draw(st.integers(0, 60))
    ins = np.zeros(n, dtype=SETTLEMENT_DT)
    ins["instruction_id"] = np.arange(n)
    for f, hi in (("book", 2), ("counterparty", 3), ("instrument", 2), ("currency", 1)):
        ins[f] = draw(hnp.arrays(np.int32, n, elements=st.integers(0, hi)))
    ins["side"] = draw(hnp.arrays(np.int8, n, elements=st.sampled_from([-1, 1])))
    ins["trade_date"] = draw(hnp.arrays(np.int64, n, elements=st.integers(10, 11)))
    ins["settle_date"] = ins["trade_date"] + draw(hnp.arrays(np.int64, n, elements=st.integers(1, 2)))
    ins["qty"] = draw(hnp.arrays(np.int64, n, elements=st.integers(1, 1000)))
    ins["cash_amount"] = ins["side"] * ins["qty"] * draw(st.integers(1, 50_000))
    return ins


@given(ins=instructions())
def test_net_all_matches_a_pandas_groupby(ins):
    obl, of = net_obligations(ins, "net_all", first_obligation_id=7)
    keys = ["book", "counterparty", "instrument", "settle_date"]  # across trade dates
    df = pd.DataFrame({k: ins[k] for k in keys})
    df["q"] = ins["side"].astype(np.int64) * ins["qty"]
    df["c"] = ins["cash_amount"]
    df["td"] = ins["trade_date"]
    g = df.groupby(keys, sort=False)
    exp = g.agg(q=("q", "sum"), c=("c", "sum"), n=("q", "size"), td=("td", "first")).reset_index()
    np.testing.assert_array_equal(obl["trade_date"], exp["td"])
    np.testing.assert_array_equal(obl["qty"], exp["q"])
    np.testing.assert_array_equal(obl["cash"], exp["c"])
    np.testing.assert_array_equal(obl["n_instructions"], exp["n"])
    for k in keys:
        np.testing.assert_array_equal(obl[k], exp[k])
    np.testing.assert_array_equal(of, 7 + g.ngroup().to_numpy())


def _fills(n, rng, n_inst=3):
    f = np.zeros(n, dtype=FILL_DT)
    f["fill_id"] = np.arange(n) * 2
    f["ts"] = 20_000 * 86_400 * 10**9 + rng.integers(0, 86_400, n) * 10**9
    f["book"] = rng.integers(0, 3, n)
    f["instrument"] = rng.integers(0, n_inst, n)
    f["counterparty"] = rng.integers(0, 4, n)
    f["side"] = rng.choice([-1, 1], n)
    f["qty"] = rng.integers(1, 10_000, n)
    f["price"] = np.round(rng.uniform(0.01, 900, n), 2)
    f["fee"] = np.where(rng.random(n) < 0.3, 0.0, np.round(rng.uniform(0, 50, n), 2))
    return f


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 40))
def test_book_fills_matches_a_plain_loop(seed, n):
    rng = np.random.default_rng(seed)
    f = _fills(n, rng)
    ccy, scale, mult = np.array([0, 1, 0]), np.array([100.0, 1.0, 100.0]), np.array([1.0, 1.0, 100.0])
    led = book_fills(f, ccy, scale, first_txn_id=5, first_posting_id=11, multiplier=mult)
    rows = []
    for j, x in enumerate(f):
        i, s, sc = int(x["instrument"]), int(x["side"]), scale[x["instrument"]]
        p = int(to_minor(np.array([x["qty"] * x["price"] * mult[i]]), np.array([sc]))[0])
        fee = int(np.rint(x["fee"] * sc))
        legs = [(0, x["book"], False, i, s * x["qty"]), (2, x["counterparty"], False, i, -s * x["qty"]),
                (1, x["book"], True, ccy[i], -s * p), (3, x["counterparty"], True, ccy[i], s * p)]
        if fee:
            legs += [(1, x["book"], True, ccy[i], -fee), (4, x["book"], True, ccy[i], fee)]
        rows += [(5 + j, int(x["fill_id"]), k, int(o), c, int(a), int(v)) for k, o, c, a, v in legs]
    got = list(zip(led["txn_id"].tolist(), led["fill_id"].tolist(), led["account_kind"].tolist(),
                   led["owner"].tolist(), led["asset_is_cash"].tolist(), led["asset"].tolist(),
                   led["amount"].tolist(), strict=True))
    assert got == rows
    np.testing.assert_array_equal(led["posting_id"], 11 + np.arange(len(led)))
    assert (led["txn_type"] == TxnType.TRADE).all() and (led["instruction_id"] == -1).all()
    bad = f.copy()
    if n:
        bad["instrument"][0] = 3
        with pytest.raises(ValueError, match="instrument ids outside"):
            book_fills(bad, ccy, scale)


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 30), shuffle=st.booleans())
def test_ledger_booking_breaks_match_a_count(seed, n, shuffle):
    # bookings vs ledger: missing, duplicated and unknown trade transactions, in and out of txn order
    rng = np.random.default_rng(seed)
    f = _fills(n, rng)
    led = book_fills(f, np.zeros(3, int), np.full(3, 100.0))
    txn_fill = {int(t): int(x) for t, x in zip(led["txn_id"], led["fill_id"], strict=True)}
    drop = rng.random(n) < 0.2
    dup = rng.random(n) < 0.2
    keep = ~drop[led["txn_id"]]
    extra = led[dup[led["txn_id"]]].copy()
    extra["txn_id"] += n
    stranger = led[:1].copy()
    stranger["txn_id"], stranger["fill_id"] = 10 * n, 999_999
    led2 = np.concatenate([led[keep], extra, stranger])
    if shuffle:
        led2 = led2[rng.permutation(len(led2))]
        led2 = led2[np.argsort(led2["txn_id"] % 3, kind="stable")]  # grouped by nothing in particular
    out = _ledger_booking_breaks(f, led2)
    got = {(int(k), int(x)) for b in out for k, x in zip(b["kind"], b["fill_id"], strict=True)}
    per_fill = {}
    for t in np.unique(led2["txn_id"]):
        fid = txn_fill.get(int(t) % n if t < 2 * n else -1, 999_999) if t != 10 * n else 999_999
        per_fill[fid] = per_fill.get(fid, 0) + 1
    exp = {(int(BreakKind.UNKNOWN_BOOKING), 999_999)}
    for x in f["fill_id"].tolist():
        c = per_fill.get(x, 0)
        if c != 1:
            exp.add((int(BreakKind.MISSING_BOOKING if c < 1 else BreakKind.DUPLICATE_BOOKING), x))
    assert got == exp


@given(seed=st.integers(0, 2**32 - 1))
def test_unbalanced_breaks_in_and_out_of_order(seed):
    rng = np.random.default_rng(seed)
    led = book_fills(_fills(12, rng), np.zeros(3, int), np.full(3, 100.0))
    bad_txn = rng.choice(12, 3, replace=False)
    for t in bad_txn:
        led["amount"][np.flatnonzero(led["txn_id"] == t)[0]] += 1
    exp = sorted(set(bad_txn.tolist()))
    for order in (np.arange(len(led)), rng.permutation(len(led))):
        b = _unbalanced_breaks(led[order])
        assert len(b) == 1 and b[0]["back_value"].tolist() == [1.0] * len(exp)


def test_asset_totals_beyond_the_first_guess():
    led = np.zeros(3, dtype=LEDGER_DT)
    led["asset"] = [5, 10_000, 10_000]
    led["amount"] = [1, 2, -5]
    t = asset_totals(led)
    assert t["asset"].tolist() == [5, 10_000] and t["amount"].tolist() == [1, -3]
    hi, lo, ordered = bk.ledger_stats_nb(led)
    assert (hi, lo, ordered) == (10_000, 0, True)


def _posting_breaks_reference(reference, ledger, named, ccy, scale, mult, n_books, n_inst, n_ccy):
    """The docstring of ``_posting_breaks`` in plain Python: sums per (fill, is_cash, book, asset) in a dict."""
    diff = {}
    for sign, led in ((1, ledger), (-1, book_fills(reference, ccy, scale[ccy], multiplier=mult))):
        for x in led:
            cash = bool(x["asset_is_cash"])
            kind = int(x["account_kind"])
            if x["txn_type"] == TxnType.TRADE and ((kind == AccountKind.SECURITIES and not cash) or
                                                   (kind == AccountKind.CASH and cash)):
                key = (int(x["fill_id"]), int(cash), int(x["owner"]), int(x["asset"]))
                diff[key] = diff.get(key, 0) + sign * int(x["amount"])
    pos, cash = np.zeros((n_books, n_inst), np.int64), np.zeros((n_books, n_ccy), np.int64)
    for (_f, c, o, a), d in diff.items():
        if d and 0 <= o < n_books and 0 <= a < (n_ccy if c else n_inst):
            (cash if c else pos)[o, a] += d
    breaks = set()
    ref = {int(x["fill_id"]): x for x in reference}
    for f in sorted({k[0] for k, d in diff.items() if d} & set(ref) - set(named)):
        r = ref[f]
        moved = sum(abs(d) for k, d in diff.items() if k[0] == f and k[1] == 0)
        own = sum(d for k, d in diff.items() if k == (f, 0, int(r["book"]), int(r["instrument"])))
        kind = BreakKind.QTY_MISMATCH if moved else BreakKind.PRICE_MISMATCH
        breaks.add((int(kind), f, float(int(r["side"]) * int(r["qty"])), float(int(r["side"]) * int(r["qty"]) + own)))
    return breaks, pos, cash


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 12), wide=st.booleans())
def test_posting_breaks_match_a_plain_sum(seed, n, wide):
    # the ledger's book-side trade postings against booking the reference, tampered: amounts, owners, assets
    rng = np.random.default_rng(seed)
    f = _fills(n, rng)
    if wide and n:
        f["fill_id"][-1] = 2**61  # too wide to pack the keys: the lexicographic sort
    ccy, scale, mult = np.array([0, 1, 0]), np.array([100.0, 1.0]), np.array([1.0, 1.0, 100.0])
    led = book_fills(f, ccy, scale[ccy], multiplier=mult)
    for field, delta in (("amount", 3), ("owner", 1), ("asset", 1)):
        hit = rng.random(len(led)) < 0.15
        led[field][hit] += delta
    led = np.concatenate([led, led[rng.random(len(led)) < 0.1]])  # some postings twice
    named = f["fill_id"][rng.random(n) < 0.2]
    lb = [np.zeros(len(named), dtype=BREAK_DT)]
    lb[0]["fill_id"] = named
    out, d_pos, d_cash = _posting_breaks(f, led, lb, n_books=4, instrument_ccy=ccy, minor_scale_inst=scale[ccy],
                                         multiplier=mult, n_inst=4, n_ccy=3)
    got = {(int(b["kind"]), int(b["fill_id"]), float(b["front_value"]), float(b["back_value"]))
           for part in out for b in part}
    exp, pos, cash = _posting_breaks_reference(f, led, named.tolist(), ccy, scale, mult, 4, 4, 3)
    assert got == exp
    np.testing.assert_array_equal(d_pos, pos)
    np.testing.assert_array_equal(d_cash, cash)
    # untouched: no differences at all
    clean = book_fills(f, ccy, scale[ccy], multiplier=mult)
    out, d_pos, d_cash = _posting_breaks(f, clean, [], n_books=4, instrument_ccy=ccy, minor_scale_inst=scale[ccy],
                                         multiplier=mult, n_inst=4, n_ccy=3)
    assert out == [] and not d_pos.any() and not d_cash.any()


@given(keys=hnp.arrays(np.int64, st.tuples(st.integers(0, 40), st.just(4)), elements=st.integers(-3, 5)),
       wide=st.booleans())
def test_unique_rows_match_numpy(keys, wide):
    if wide and len(keys):
        keys[0, 2] = 2**62  # too wide to pack
    uniq, inv = _unique_rows(keys)
    exp_uniq, exp_inv = np.unique(keys, axis=0, return_inverse=True)
    np.testing.assert_array_equal(uniq, exp_uniq.reshape(-1, 4))
    np.testing.assert_array_equal(inv, exp_inv.ravel())


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 12), field=st.sampled_from(
    ["none", "amount", "owner", "asset", "fill_id", "asset_is_cash", "drop", "extra", "txn_type"]))
def test_postings_as_booked_is_equality_of_the_book_side_postings(seed, n, field):
    # the clean-day check (one pass, no arrays) says yes exactly when the book-side trade postings are equal
    rng = np.random.default_rng(seed)
    f = _fills(n, rng)
    ccy, scale, mult = np.array([0, 1, 0]), np.array([100.0, 1.0, 100.0]), np.array([1.0, 1.0, 100.0])
    led = book_fills(f, ccy, scale, multiplier=mult)
    if len(led):
        k = int(rng.integers(len(led)))
        if field == "drop":
            led = np.delete(led, k)
        elif field == "extra":
            led = np.insert(led, k, led[k])
        elif field == "asset_is_cash":
            led[field][k] = ~led[field][k]
        elif field == "txn_type":
            led[field][k] = TxnType.SETTLEMENT
        elif field != "none":
            led[field][k] += 1
    k_act, a_act = _trade_postings(led)
    k_exp, a_exp = _trade_postings(book_fills(f, ccy, scale, multiplier=mult))
    equal = k_act.shape == k_exp.shape and (k_act == k_exp).all() and (a_act == a_exp).all()
    assert bk.postings_as_booked_nb(led, f, mult, scale, ccy) == equal
    assert equal or field != "none"


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 30))
def test_location_holdings_match_a_plain_loop(seed, n):
    rng = np.random.default_rng(seed)
    led = np.zeros(n, LEDGER_DT)
    led["account_kind"] = rng.choice([AccountKind.CUSTODY, AccountKind.NOSTRO, AccountKind.CASH], n)
    led["owner"], led["asset"] = rng.integers(0, 4, n), rng.integers(0, 5, n)  # some outside the 3 x 4 held
    led["value_date"], led["amount"] = rng.integers(8, 12, n), rng.integers(-100, 100, n)
    for kind in (AccountKind.CUSTODY, AccountKind.NOSTRO):
        held = np.ones((3, 4), np.int64)
        bk.location_holdings_nb(led, 10, np.int8(kind), held)
        exp = np.ones((3, 4), np.int64)
        for x in led:
            if x["account_kind"] == kind and x["value_date"] <= 10 and x["owner"] < 3 and x["asset"] < 4:
                exp[x["owner"], x["asset"]] -= x["amount"]
        np.testing.assert_array_equal(held, exp)


def _obligations_and_events(rng, n_obl, n_ev):
    ob = np.zeros(n_obl, OBLIGATION_DT)
    ob["obligation_id"] = 5 + np.arange(n_obl)
    ob["book"], ob["instrument"], ob["currency"] = (rng.integers(0, 3, n_obl), rng.integers(0, 4, n_obl),
                                                    rng.integers(0, 2, n_obl))
    ob["status"] = rng.choice([SettlementStatus.PENDING, SettlementStatus.SETTLED, SettlementStatus.FAILED,
                               SettlementStatus.PARTIALLY_SETTLED, SettlementStatus.BOUGHT_IN], n_obl)
    ob["fail_reason"], ob["fail_days"] = rng.integers(0, 3, n_obl), rng.integers(0, 5, n_obl)
    ob["settled_date"] = rng.integers(-1, 3, n_obl)
    ev = np.zeros(n_ev, SETTLEMENT_EVENT_DT)
    ev["obligation_id"] = 5 + rng.integers(0, max(n_obl, 1), n_ev)
    ev["qty_settled"], ev["cash_settled"] = rng.integers(-50, 50, n_ev), rng.integers(-900, 900, n_ev)
    return ob, ev


@given(seed=st.integers(0, 2**32 - 1), n_obl=st.integers(1, 20), n_ev=st.integers(0, 30))
def test_settled_moves_and_instruction_states_match_numpy(seed, n_obl, n_ev):
    rng = np.random.default_rng(seed)
    ob, ev = _obligations_and_events(rng, n_obl, n_ev)
    sec, cash = np.zeros((3, 4), np.int64), np.zeros((3, 2), np.int64)
    assert bk.settled_moves_nb(ev, ob, 5, sec, cash) == 0
    o = ob[ev["obligation_id"] - 5]  # the statement's former numpy form
    exp_sec, exp_cash = np.zeros((3, 4), np.int64), np.zeros((3, 2), np.int64)
    np.add.at(exp_sec, (o["book"], o["instrument"]), ev["qty_settled"])
    np.add.at(exp_cash, (o["book"], o["currency"]), -ev["cash_settled"])
    np.testing.assert_array_equal(sec, exp_sec)
    np.testing.assert_array_equal(cash, exp_cash)
    assert bk.settled_moves_nb(ev, ob, 6, sec, cash) == int((ev["obligation_id"] == 5).sum())  # outside: counted
    # open instructions take their obligation's state; the still-open ones are returned
    ob["obligation_id"] -= 5
    ins = np.zeros(n_ev, SETTLEMENT_DT)
    ins["obligation_id"] = ev["obligation_id"] - 5
    rows = np.flatnonzero(rng.random(n_ev) < 0.7)
    exp = ins.copy()
    o = ob[exp["obligation_id"][rows]]
    for f in ("status", "fail_reason", "fail_days", "settled_date"):
        exp[f][rows] = o[f]
    exp_open = rows[~np.isin(o["status"], [SettlementStatus.SETTLED, SettlementStatus.BOUGHT_IN])]
    still = np.empty(rows.shape[0], np.int64)
    m = bk.instruction_states_nb(ins, rows, ob, still)
    np.testing.assert_array_equal(still[:m], exp_open)
    for f in ("status", "fail_reason", "fail_days", "settled_date"):
        np.testing.assert_array_equal(ins[f], exp[f])
