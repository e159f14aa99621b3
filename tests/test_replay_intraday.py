"""A numba strategy over replayed market data (tradeflow.replay_session): its orders meet the recorded
book through the queue-position model and go through every office like a client's.

The replay session keeps its own copy of the replay venue's queue step (``replay_nb`` stays
inline for speed); a strategy that sends nothing must leave every record bit-identical to the
plain replay (venue, then desk), which holds the two copies equal."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from numba import njit

import tradeflow
from tests.conftest import small_config
from tests.test_invariants import check_invariants
from tests.test_strategies import _same_records, fo_equals_bo
from tradeflow.front.replay import read_lobster
from tradeflow.schema import OrderOrigin, OrderStatus, RejectReason
from tradeflow.strategies import SE_TIMER, NumbaStrategy, avellaneda_stoikov, send_nb

DATA = Path(__file__).resolve().parent / "data"
MSG = DATA / "lobster_sample_message_3.csv"
BOOK = DATA / "lobster_sample_orderbook_3.csv"


@njit
def _replay_strategy(ctx, state, kind, t, ref):
    """``state[0]`` the mode. 0: count calls, send nothing. 1: at its first timer call, one order too
    large and one fine market order on instrument 0 (the replayed one), once its recorded book shows an ask."""
    state[1] += 1
    if state[0] == 1 and kind == SE_TIMER and state[2] == 0 and ctx.is_open[0] and ctx.ask_qty[0] >= 100:
        state[2] = 1
        send_nb(ctx, 0, 1, 60_000, np.nan)  # max_order_qty is 50,000
        send_nb(ctx, 0, 1, 100, np.nan)


@pytest.fixture(scope="module")
def cfg():
    """The small desk with AAPL priced like the LOBSTER sample (about 100.00): the marks, and so the
    price collar, near the recorded book."""
    from dataclasses import replace

    c = small_config(600)
    inst = tuple(replace(i, price=100.0) if i.symbol == "AAPL" else i for i in c.market.instruments)
    return replace(c, market=replace(c.market, instruments=inst))


@pytest.fixture(scope="module")
def data(cfg):
    return read_lobster(MSG, BOOK, symbol="AAPL", date=cfg.market.trade_date)


@pytest.fixture(scope="module")
def plain(cfg, data):
    return tradeflow.simulate(cfg, seed=2, replay=data)


def test_a_strategy_that_sends_nothing_leaves_every_record_bit_identical(cfg, data, plain):
    s = NumbaStrategy(_replay_strategy, np.zeros(3), every=1, client_fills=True, timer_s=0.1)
    r = tradeflow.simulate(cfg, seed=2, replay=data, strategy=s)
    _same_records(plain, r)
    assert s.state[1] > 1_000  # called on every step, client fill and tick
    # the executions too (the plain replay's venue table), of the replayed and the quote-model orders
    for f in plain.records["executions"].dtype.names:
        np.testing.assert_array_equal(plain.records["executions"][f], r.records["executions"][f])


def test_strategy_orders_pass_the_same_controls_and_meet_the_recording(cfg, data):
    s = NumbaStrategy(_replay_strategy, np.array([1.0, 0.0, 0.0]), every=0, timer_s=0.5, book=1)
    r = tradeflow.simulate(cfg, seed=2, replay=data, strategy=s)
    check_invariants(r)
    fo_equals_bo(r)
    o = r.records["orders"]
    d = o[o["origin"] == OrderOrigin.DESK]
    assert len(d) == 2
    assert d["reject_reason"].tolist() == [RejectReason.MAX_ORDER_QTY, 0]
    assert d["status"][0] == OrderStatus.REJECTED and (d["book"] == 1).all()
    f = r.records["fills"]
    mine = f[f["order_id"] == d["order_id"][1]]
    assert mine["qty"].sum() == 100 and (mine["liquidity"] == 1).all()  # took the recorded ask
    recorded = np.loadtxt(BOOK, delimiter=",", dtype=np.int64)
    asks = {p / 10_000 for p in np.unique(recorded[:, 0::4][recorded[:, 1::4] > 0])}
    assert set(np.round(mine["price"], 4).tolist()) <= asks


def test_the_market_maker_on_the_lobster_sample(cfg, data):
    def run():
        mm = avellaneda_stoikov(instrument=0, gamma=1e-3, kappa=1e4, sigma=0.02, qty=50, tick=0.01, every=1,
                                latency_us=10.0)
        return mm, tradeflow.simulate(cfg, seed=2, replay=data, strategy=mm)

    mm, r = run()
    check_invariants(r)
    fo_equals_bo(r)
    assert len(r.breaks) == 0
    o = r.records["orders"]
    d = o[o["origin"] == OrderOrigin.DESK]
    assert len(d) > 0
    f = r.records["fills"]
    mine = f[np.isin(f["order_id"], d["order_id"])]
    assert len(mine) > 0  # it traded against the recording
    _, r2 = run()  # same seed, same result
    _same_records(r, r2)


def test_bad_combination_is_refused_clearly(data):
    c = small_config(100, execution={"venue": "quote"})
    with pytest.raises(ValueError, match="'venue' of ExecutionConfig must be 'book'. Got 'quote' with replay"):
        tradeflow.simulate(c, seed=0, replay=data, strategy=NumbaStrategy(_replay_strategy, np.zeros(3)))
