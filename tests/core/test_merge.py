"""Sorted runs merged (the desk loop's event order): the merge is numpy.lexsort((ref, tag, ts)) of the runs joined."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradeflow.core.merge import merge_runs, stable_time_order
from tradeflow.middle.nb import EV_ARRIVAL, EV_CANCEL, EV_FILL, EV_SNAPSHOT

_KINDS = [EV_ARRIVAL, EV_CANCEL, EV_FILL, EV_SNAPSHOT]


@st.composite
def _runs(draw):
    # times drawn from a small range so that ties within and across runs are common; each run's
    # references increase (row numbers), its times in order or not
    runs = []
    for kind in draw(st.permutations(_KINDS)):
        n = draw(st.integers(0, 30))
        ts = np.array(draw(st.lists(st.integers(0, 12), min_size=n, max_size=n)), np.int64)
        if draw(st.booleans()):
            ts = np.sort(ts)
        ref = np.sort(np.array(draw(st.lists(st.integers(0, 10**6), min_size=n, max_size=n, unique=True)),
                               np.int64))
        runs.append((ts, kind, ref))
    return runs


@given(runs=_runs())
def test_merged_runs_are_the_lexsort_of_the_events(runs):
    ts = np.concatenate([r[0] for r in runs])
    kind = np.concatenate([np.full(r[0].shape[0], r[1], np.int64) for r in runs])
    ref = np.concatenate([r[2] for r in runs])
    order = np.lexsort((ref, kind, ts))
    got = merge_runs(runs)
    for g, want in zip(got, (ts[order], kind[order], ref[order]), strict=True):
        np.testing.assert_array_equal(g, want)
        assert g.dtype == np.int64


def test_a_desk_days_events_merge_as_they_sorted():
    # the runs of a real session: arrivals in time order, cancels out of order, snapshots, executions
    from tests.conftest import small_config
    from tradeflow.front import execute_orders, generate_orders
    from tradeflow.market import simulate_market
    from tradeflow.middle.desk import DeskState, prepare_desk_run

    cfg = small_config(2_000)
    market = simulate_market(cfg.market, np.random.default_rng(0))
    orders = generate_orders(cfg.flow, market, np.random.default_rng(1))
    execs = execute_orders(orders, market, cfg.execution, np.full(market.n_instruments, 100.0))
    run = prepare_desk_run(orders, market, cfg.pretrade, DeskState.flat(cfg.flow.n_books, market.n_instruments),
                           close_ts=int(market.times[-1]) + 1, pnl_interval_s=600, risk=None, fifo=False,
                           n_exec=execs.shape[0])
    runs = run.event_runs() + [(execs["ts"], EV_FILL, np.arange(execs.shape[0]))]
    cancel_ts = runs[1][0]
    assert cancel_ts.size > 10 and (np.diff(cancel_ts) < 0).any()  # the case the merge must sort first
    test_merged_runs_are_the_lexsort_of_the_events.hypothesis.inner_test(runs=runs)


def test_merge_refuses_references_out_of_order():
    with pytest.raises(ValueError, match="increasing reference"):
        merge_runs([(np.array([5, 5]), EV_ARRIVAL, np.array([2, 1]))])
    with pytest.raises(ValueError, match="increasing reference"):
        merge_runs([(np.array([5, 6, 7]), EV_CANCEL, np.array([1, 2]))])


@st.composite
def _grouped_runs(draw):
    # groups of a few time-ordered runs each (a book's requotes, then its flow), times often tied, and a span
    # now and then too wide for time and run to share 63 bits (the stable sort then)
    wide = draw(st.booleans())
    hi = 2 ** 62 if wide else 50
    groups = []
    for _ in range(draw(st.integers(0, 6))):
        runs = [sorted(draw(st.lists(st.integers(0, hi), max_size=12))) for _ in range(draw(st.integers(1, 3)))]
        groups.append(np.array([t for r in runs for t in r], np.int64))
    return groups


@given(_grouped_runs())
def test_stable_time_order_is_the_stable_argsort(groups):
    ts = np.concatenate(groups) if groups else np.zeros(0, np.int64)
    bounds = np.concatenate([[0], np.cumsum([len(g) for g in groups], dtype=np.int64)]).astype(np.int64)
    got_ts, got_group, got_row = stable_time_order(ts, bounds)
    want = np.argsort(ts, kind="stable")
    assert got_row.tolist() == want.tolist()
    assert got_ts.tolist() == ts[want].tolist()
    assert got_group.tolist() == np.repeat(np.arange(len(groups)), np.diff(bounds))[want].tolist()
    assert got_ts.dtype == np.int64 and got_group.dtype == np.int32 and got_row.dtype == np.int64


def test_stable_time_order_of_a_book_days_background_is_the_stable_argsort():
    # many rows in a few long runs with ties inside runs (a requote's four rows share a time): the packed sort
    rng = np.random.default_rng(3)
    groups = []
    for _ in range(5):
        quotes = np.repeat(np.sort(rng.integers(0, 10**12, 2_000)), 4)
        flow = np.sort(rng.integers(0, 10**12, 20_000))
        groups.append(np.concatenate([quotes, flow]))
    ts = np.concatenate(groups)
    bounds = np.concatenate([[0], np.cumsum([len(g) for g in groups])]).astype(np.int64)
    _, _, row = stable_time_order(ts, bounds)
    np.testing.assert_array_equal(row, np.argsort(ts, kind="stable"))


@pytest.mark.parametrize("bounds", [[1, 3], [0, 2], [0, 3, 2, 3], []])
def test_stable_time_order_refuses_bounds_that_do_not_cover_the_times(bounds):
    with pytest.raises(ValueError, match="bounds must run from 0 to len"):
        stable_time_order(np.array([3, 1, 2]), np.array(bounds, np.int64))
