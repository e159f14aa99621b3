"""The record kernels give the records of the numpy code they replaced (written out here), field by field;
the (ts, id) order is numpy's lexsort."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tradeflow.core.merge import time_then_id_order
from tradeflow.front.nb import quote_records_nb, tape_records_nb
from tradeflow.schema import QUOTE_DT, TRADE_DT


def _fields_equal(got, want):
    assert got.dtype == want.dtype and got.shape == want.shape
    for f in want.dtype.names:
        np.testing.assert_array_equal(got[f], want[f], err_msg=f)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_steps=st.integers(1, 60), n_inst=st.integers(1, 5), sessions=st.booleans())
def test_quote_records_are_the_numpy_records(seed, n_steps, n_inst, sessions):
    rng = np.random.default_rng(seed)
    times = np.sort(rng.integers(0, 10**12, n_steps))
    bid = rng.integers(-1, 500, (n_steps, n_inst))  # -1: an empty side
    ask = rng.integers(-1, 500, (n_steps, n_inst))
    bid_qty, ask_qty = rng.integers(0, 10**4, (2, n_steps, n_inst))
    volume, trades = rng.integers(0, 10**6, (2, n_steps, n_inst))
    lo = rng.integers(1, 10**5, n_inst)
    tick = rng.choice(np.array([0.0001, 0.01, 0.05, 0.25]), n_inst)
    shut = rng.random((n_steps, n_inst)) < 0.3
    # the numpy records, as venue_quotes built them
    want = np.zeros((n_steps, n_inst), QUOTE_DT)
    want["ts"] = times[:, None]
    want["instrument"] = np.arange(n_inst)[None, :]
    want["bid"] = np.where(bid >= 0, (bid + lo) * tick, np.nan)
    want["ask"] = np.where(ask >= 0, (ask + lo) * tick, np.nan)
    want["bid_qty"], want["ask_qty"], want["volume"], want["n_trades"] = bid_qty, ask_qty, volume, trades
    if sessions:
        for f, v in (("bid", np.nan), ("ask", np.nan), ("bid_qty", 0), ("ask_qty", 0)):
            want[f][shut] = v
    got = np.zeros(n_steps * n_inst, QUOTE_DT)
    # a book a row, as the session records them (here strided views of (n_steps, n_inst) arrays)
    quote_records_nb(times, bid.T, ask.T, bid_qty.T, ask_qty.T, volume.T, trades.T, lo, tick,
                     shut if sessions else np.zeros((0, 0), bool), got)
    _fields_equal(got, want.ravel())


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 300), n_books=st.integers(1, 5), n_orders=st.integers(0, 20))
def test_tape_records_are_the_numpy_records(seed, n, n_books, n_orders):
    rng = np.random.default_rng(seed)
    n_levels = rng.integers(1, 50, n_books)
    level0 = np.concatenate([[0], np.cumsum(n_levels)[:-1]])
    lo = rng.integers(1, 10**4, n_books)
    tick = rng.choice(np.array([0.0001, 0.01, 0.05]), n_books)
    t_lvl = rng.integers(0, n_levels.sum(), n)
    t_ts, t_qty = rng.integers(0, 10**12, n), rng.integers(1, 10**4, n)
    t_side = rng.choice(np.array([1, -1], np.int8), n)
    t_taker = rng.integers(-1, n_orders, n) if n_orders else np.full(n, -1)
    t_maker = rng.integers(-1, n_orders, n) if n_orders else np.full(n, -1)
    order_id = rng.integers(0, 10**9, n_orders)
    # the numpy records, as the session's _tape built them
    inst = np.searchsorted(level0, t_lvl, side="right") - 1
    want = np.empty(n, TRADE_DT)
    want["ts"], want["instrument"], want["side"], want["qty"] = t_ts, inst, t_side, t_qty
    want["price"] = (t_lvl - level0[inst] + lo[inst]) * tick[inst]
    ids = np.r_[order_id, -1]
    want["taker_order_id"] = ids[np.where(t_taker >= 0, t_taker, -1)]
    want["maker_order_id"] = ids[np.where(t_maker >= 0, t_maker, -1)]
    want["desk"] = (t_taker >= 0) | (t_maker >= 0)
    got = np.zeros(n, TRADE_DT)
    tape_records_nb(t_ts, t_lvl, t_qty, t_side, t_taker, t_maker, level0, lo, tick, order_id, got)
    _fields_equal(got, want)


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 200), sorted_ts=st.booleans(), span=st.integers(1, 20),
       increasing_ids=st.booleans())
def test_time_then_id_order_is_lexsort(seed, n, sorted_ts, span, increasing_ids):
    rng = np.random.default_rng(seed)
    ts = rng.integers(0, span, n)  # small spans: many equal times
    if sorted_ts:
        ts = np.sort(ts)
    # equal ids too (ties keep row order), or ids in row order (a venue's executions, order by order)
    ids = np.cumsum(rng.integers(1, 3, n)) if increasing_ids else rng.integers(0, 10, n)
    np.testing.assert_array_equal(time_then_id_order(ts, ids), np.lexsort((ids, ts)))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_inst=st.integers(1, 4), n_rows=st.integers(0, 12), n_lvl=st.integers(1, 5),
       sessions=st.booleans())
def test_depth_records_are_the_numpy_records(seed, n_inst, n_rows, n_lvl, sessions):
    from tradeflow.front.nb import depth_records_nb
    from tradeflow.schema import DEPTH_DT, Side

    rng = np.random.default_rng(seed)
    ts = np.cumsum(rng.integers(1, 10**9, n_rows))
    depth = [rng.integers(-1, 40, (n_inst, n_rows, n_lvl)), rng.integers(0, 10**4, (n_inst, n_rows, n_lvl)),
             rng.integers(-1, 40, (n_inst, n_rows, n_lvl)), rng.integers(0, 10**4, (n_inst, n_rows, n_lvl))]
    lo = rng.integers(1, 10**4, n_inst)
    tick = rng.choice(np.array([0.0001, 0.01, 0.05]), n_inst)
    shut = rng.random((n_rows, n_inst)) < 0.3 if sessions else None
    # the numpy records, as the session's _depth built them
    parts = []
    for side, lvl, qty in ((Side.BUY, depth[0], depth[1]), (Side.SELL, depth[2], depth[3])):
        live = lvl >= 0
        if shut is not None:
            live &= ~shut.T[:, :, None]
        i, r, k = np.nonzero(live)
        rec = np.zeros(i.size, DEPTH_DT)
        rec["ts"], rec["instrument"], rec["side"], rec["level"] = ts[r], i, int(side), k
        rec["price"] = (lvl[i, r, k] + lo[i]) * tick[i]
        rec["qty"] = qty[i, r, k]
        parts.append(rec)
    want = np.concatenate(parts)
    want = want[np.lexsort((want["level"], -want["side"], want["instrument"], want["ts"]))]
    args = (ts, *depth, lo, tick, np.zeros((0, 0), bool) if shut is None else shut, int(Side.BUY), int(Side.SELL))
    got = np.zeros(depth_records_nb(*args, np.zeros(0, DEPTH_DT)), DEPTH_DT)
    assert depth_records_nb(*args, got) == want.shape[0]
    _fields_equal(got, want)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_steps=st.integers(1, 80), n_inst=st.integers(1, 5), breaks=st.booleans())
def test_venue_shut_is_the_grid_compare(seed, n_steps, n_inst, breaks):
    from types import SimpleNamespace

    from tradeflow.front.venue import venue_shut

    rng = np.random.default_rng(seed)
    times = np.cumsum(rng.integers(1, 5, n_steps))
    span = int(times[-1]) + 3
    open_ = np.where(rng.random(n_inst) < 0.15, -1, rng.integers(-2, span, n_inst))  # -1: a holiday
    close = np.where(open_ < 0, -1, open_ + rng.integers(-2, span, n_inst))
    bs = np.where(rng.random(n_inst) < 0.5, -1, rng.integers(0, span, n_inst)) if breaks else None
    be = None if bs is None else bs + rng.integers(0, 10, n_inst)
    market = SimpleNamespace(n_steps=n_steps, n_instruments=n_inst, times=times, session_open=open_,
                             session_close=close, break_start=bs, break_end=be)
    t = times[:, None]
    want = ~((t >= open_[None, :]) & (t < close[None, :]))
    if bs is not None:
        want |= (bs[None, :] >= 0) & (t >= bs[None, :]) & (t < be[None, :])
    np.testing.assert_array_equal(venue_shut(market), want)
