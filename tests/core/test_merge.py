"""Sorted runs merged (the desk loop's event order): the merge is numpy.lexsort((ref, tag, ts)) of the runs joined."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradeflow.core.merge import merge_runs
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
    from tradeflow.middle.desk import DeskState, _prepare

    cfg = small_config(2_000)
    market = simulate_market(cfg.market, np.random.default_rng(0))
    orders = generate_orders(cfg.flow, market, np.random.default_rng(1))
    execs = execute_orders(orders, market, cfg.execution, np.full(market.n_instruments, 100.0))
    run = _prepare(orders, market, cfg.pretrade, DeskState.flat(cfg.flow.n_books, market.n_instruments),
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
