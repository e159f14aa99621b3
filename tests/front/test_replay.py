"""Market-data replay: LOBSTER and top-of-book files, validation, and the queue-position models.

The LOBSTER sample under tests/data/ was written by hand: 20 messages (every event type
1-7) and the order-book file after each, three levels, worked out by hand from LOBSTER's
documentation; the replay must reproduce every row level by level. The queue cases are
worked out by hand from hftbacktest's RiskAdverseQueueModel / ProbQueueModel rules.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tradeflow.front import nb as front_nb
from tradeflow.front.replay import ReplayData, ReplayStream, read_lobster, read_top_of_book, replay
from tradeflow.schema import ORDER_DT, Liquidity, OrderType, TimeInForce

DATA = Path(__file__).resolve().parent.parent / "data"
MSG = DATA / "lobster_sample_message_3.csv"
BOOK = DATA / "lobster_sample_orderbook_3.csv"
MIDNIGHT = int(pd.Timestamp("2012-06-21", tz="America/New_York").value)


def at(seconds: float) -> int:
    return MIDNIGHT + int(round(seconds * 1e9))


def orders(*rows) -> np.ndarray:
    """rows of (order_id, ts, side, price or None for market, qty, tif)."""
    o = np.zeros(len(rows), ORDER_DT)
    for k, (oid, ts, side, price, qty, tif) in enumerate(rows):
        o[k]["order_id"] = oid
        o[k]["ts"] = ts
        o[k]["ts_cancel"] = -1
        o[k]["side"] = side
        o[k]["order_type"] = OrderType.MARKET if price is None else OrderType.LIMIT
        o[k]["limit_price"] = np.nan if price is None else price
        o[k]["qty"] = qty
        o[k]["tif"] = tif
    return o


def test_lobster_replay_reproduces_the_files_order_book_level_by_level():
    recorded = np.loadtxt(BOOK, delimiter=",", dtype=np.int64)
    for book in (BOOK, None):  # started from the file's first row, and from an empty book
        data = read_lobster(MSG, book, date="2012-06-21")
        out = replay(data, snapshot_levels=3)
        np.testing.assert_array_equal(out.orderbooks["LOBSTER"], recorded)
        assert out.n_clamped == 0
    assert data.streams[0].ts[0] == at(34200.0)


def test_lobster_from_a_named_dataframe_and_two_levels():
    df = pd.read_csv(MSG, header=None, names=["time", "type", "order_id", "size", "price", "direction"])
    out = replay(read_lobster(df), snapshot_levels=2)
    recorded = np.loadtxt(BOOK, delimiter=",", dtype=np.int64)
    np.testing.assert_array_equal(out.orderbooks["LOBSTER"], recorded[:, :8])


def test_lobster_grid_quotes():
    data = read_lobster(MSG, date="2012-06-21")
    out = replay(data, grid=np.array([at(34200.35), at(34201.0), at(34202.0)]))
    q = out.quotes
    assert list(q["bid"]) == [100.00, 99.99, 99.99]
    assert list(q["ask"]) == [100.01, 100.02, 100.02]
    assert list(q["bid_qty"]) == [170, 50, 30]
    assert list(q["ask_qty"]) == [200, 200, 200]
    # traded until the next grid time: visible and hidden executions (100 + 40 + 80 + 70), then 60
    assert list(q["volume"]) == [290, 60, 0]


def test_risk_averse_queue_fills_when_the_trades_behind_reach_it():
    data = read_lobster(MSG, date="2012-06-21")
    o = orders(
        (1, at(34200.25), 1, 100.00, 50, TimeInForce.DAY),   # joins 100 ahead at 100.00; the 100 trade empties
        #                                                      the queue ahead, the 70 traded at 34201 fill it
        (2, at(34200.85), 1, 100.02, 250, TimeInForce.IOC),  # takes the 200 shown at 100.02, the rest cancelled
        (3, at(34201.55), -1, 100.01, 40, TimeInForce.DAY),  # inside the spread: nothing ahead; 60 add, 60 traded
        (4, at(34200.85), -1, 100.01, 50, TimeInForce.DAY),  # a bid of 80 arrives at 100.01 and crosses it
        (5, at(34201.45), -1, None, 80, TimeInForce.DAY),    # market sell: the 150 bid at 99.98
    )
    x = replay(data, o).executions
    got = [(int(r["order_id"]), int(r["ts"]), int(r["qty"]), round(float(r["price"]), 2), int(r["liquidity"]))
           for r in x]
    assert got == sorted([
        (1, at(34201.0), 50, 100.00, Liquidity.MAKER),
        (2, at(34200.85), 200, 100.02, Liquidity.TAKER),
        (3, at(34201.7), 40, 100.01, Liquidity.MAKER),
        (4, at(34200.9), 50, 100.01, Liquidity.MAKER),
        (5, at(34201.45), 80, 99.98, Liquidity.TAKER),
    ], key=lambda r: (r[1], r[0]))
    mid = dict(zip(x["order_id"].tolist(), x["arrival_mid"].tolist(), strict=True))
    assert mid[2] == pytest.approx(100.01) and mid[1] == pytest.approx(100.005)


def test_latency_and_cancels_are_applied():
    data = read_lobster(MSG, date="2012-06-21")
    o = orders((1, at(34200.25), 1, 100.00, 50, TimeInForce.DAY))
    o["ts_cancel"] = at(34200.95)  # gone before the trade that would fill it
    assert replay(data, o).executions.size == 0
    o["ts_cancel"] = -1
    # 0.1 s later it arrives after the 70 added at 34200.3: 170 ahead, 100 traded, then 70: not reached
    assert replay(data, o, latency_ns=100_000_000).executions.size == 0


def _stream(events):
    ts, kind, side, price, qty = (np.array(c) for c in zip(*events, strict=True))
    return ReplayData(streams=(ReplayStream(symbol="X", ts=ts.astype(np.int64), kind=kind.astype(np.int8),
                                            side=side.astype(np.int8), price=price.astype(np.int64),
                                            qty=qty.astype(np.int64), tick=100),))


@pytest.mark.parametrize("model, power, filled", [("risk_averse", 2.0, 0), ("prob", 1.0, 10), ("prob", 3.0, 10)])
def test_queue_models_by_hand(model, power, filled):
    """100 ahead of us, 100 joins behind, 100 cancelled, then 60 traded.

    Risk-averse: every cancel is behind us, 100 ahead, the trade leaves 40: no fill.
    Probabilistic: prev 200, front 100, back 100, so p = 0.5 whatever the power, the cancel
    takes 50 from the front (100 - 0.5 * 100), and the trade of 60 fills 10."""
    p = 1_000_000
    data = _stream([(10, front_nb.R_ADD, 1, p, 100), (30, front_nb.R_ADD, 1, p, 100),
                    (40, front_nb.R_REDUCE, 1, p, 100), (50, front_nb.R_EXEC, 1, p, 60)])
    o = orders((7, 20, 1, 100.0, 25, TimeInForce.DAY))
    x = replay(data, o, queue_model=model, queue_power=power).executions
    assert int(x["qty"].sum()) == filled
    if filled:
        assert x["ts"][0] == 50 and x["price"][0] == 100.0 and x["liquidity"][0] == Liquidity.MAKER


def test_a_trade_through_the_price_fills():
    p = 1_000_000
    data = _stream([(10, front_nb.R_ADD, 1, p, 100), (11, front_nb.R_ADD, 1, p - 100, 100),
                    (30, front_nb.R_EXEC, 1, p - 100, 30)])
    o = orders((1, 20, 1, 100.0, 500, TimeInForce.DAY))
    x = replay(data, o).executions
    assert x["qty"].tolist() == [30] and x["price"].tolist() == [100.0]


def test_fok_fills_in_full_or_not_at_all():
    data = read_lobster(MSG, date="2012-06-21")
    o = orders((1, at(34200.35), 1, 100.02, 501, TimeInForce.FOK), (2, at(34200.35), 1, 100.02, 500, TimeInForce.FOK))
    x = replay(data, o).executions
    assert x["order_id"].tolist() == [2, 2] and x["qty"].tolist() == [200, 300]


# ------------------------------------------------------------------------------- top of book


def _quotes():
    t0 = pd.Timestamp("2024-03-01 14:30", tz="UTC")
    ts = [t0 + pd.Timedelta(seconds=s) for s in (0, 0, 1, 2, 3)]
    quotes = pd.DataFrame({"ts": ts, "symbol": ["AAA", "BBB", "AAA", "AAA", "AAA"],
                           "bid": [10.00, 50.0, 10.00, 10.01, 10.00], "ask": [10.02, 50.1, 10.02, 10.02, 10.01],
                           "bid_size": [300, 10, 500, 100, 200], "ask_size": [400, 10, 400, 400, 50]})
    trades = pd.DataFrame({"ts": [t0 + pd.Timedelta(seconds=s) for s in (1.5, 2.5, 2.5)],
                           "symbol": ["AAA", "AAA", "AAA"], "price": [10.00, 10.01, 10.01], "size": [200, 60, 80],
                           "side": ["S", "S", -1]})
    return t0, quotes, trades


def test_top_of_book_replay():
    t0, quotes, trades = _quotes()
    data = read_top_of_book(quotes, trades)
    assert data.symbols == ("AAA", "BBB")
    ns = t0.value
    o = orders((1, ns + 500_000_000, 1, 10.00, 100, TimeInForce.DAY),  # 300 ahead; 500 shown, 200 traded: no fill
               (2, ns + 1_500_000_000, 1, None, 500, TimeInForce.DAY),  # market buy: the 400 shown at 10.02
               (3, ns + 2_200_000_000, 1, 10.01, 150, TimeInForce.DAY))  # 100 ahead; 60 then 80 sold: 40
    o["instrument"] = [0, 0, 0]
    out = replay(data, o, grid=np.array([ns, ns + 2_000_000_000]))
    x = out.executions
    got = [(int(r["order_id"]), int(r["ts"]) - ns, int(r["qty"]), round(float(r["price"]), 2)) for r in x]
    # order 3 also meets the ask that drops to 10.01 at 3 s (50 shown, crossing its bid): 50 more
    assert got == [(2, 1_500_000_000, 400, 10.02), (3, 2_500_000_000, 40, 10.01),
                   (3, 3_000_000_000, 50, 10.01)]
    q = out.quotes
    assert q["instrument"].tolist() == [0, 1, 0, 1]
    assert q["bid"].tolist() == [10.00, 50.0, 10.01, 50.0]
    assert q["volume"].tolist() == [200, 0, 140, 0]


def test_top_of_book_from_files(tmp_path):
    _, quotes, trades = _quotes()
    quotes.to_parquet(tmp_path / "q.parquet")
    trades.to_csv(tmp_path / "t.csv", index=False)
    a = read_top_of_book(tmp_path / "q.parquet", tmp_path / "t.csv")
    b = read_top_of_book(quotes, trades)
    for s, t in zip(a.streams, b.streams, strict=True):
        for f in ("ts", "kind", "side", "price", "qty"):
            np.testing.assert_array_equal(getattr(s, f), getattr(t, f))


# ------------------------------------------------------------------------------- validation


def _msgs():
    return np.loadtxt(MSG, delimiter=",")


@pytest.mark.parametrize("edit, match", [
    (lambda m: m.__setitem__((3, 0), 34199.0), "'time' must be sorted"),
    (lambda m: m.__setitem__((2, 1), 8), "event type 1-7. Got 8 at row 2"),
    (lambda m: m.__setitem__((2, 5), 0), "'direction' must be 1 .* Got 0 at row 2"),
    (lambda m: m.__setitem__((2, 3), 0), "'size' must be positive. Got 0 at row 2"),
    (lambda m: m.__setitem__((2, 4), -5), "'price' must be positive"),
    (lambda m: m.__setitem__((2, 3), 1.5), "'size' must hold integers"),
])
def test_lobster_messages_are_validated(edit, match):
    m = _msgs()
    edit(m)
    with pytest.raises(ValueError, match=match):
        read_lobster(m)


def test_lobster_books_are_validated(tmp_path):
    with pytest.raises(ValueError, match="6 columns"):
        read_lobster(_msgs()[:, :5])
    book = np.loadtxt(BOOK, delimiter=",", dtype=np.int64)
    crossed = book.copy()
    crossed[4, 0] = 999_900  # ask 99.99 under the bid 100.00
    with pytest.raises(ValueError, match="crossed book at row 4"):
        read_lobster(MSG, crossed)
    with pytest.raises(ValueError, match="4 columns per level"):
        read_lobster(MSG, book[:, :5])
    with pytest.raises(ValueError, match="one row per message"):
        read_lobster(MSG, book[:5])
    with pytest.raises(ValueError, match="does not exist"):
        read_lobster(tmp_path / "nope.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("34200.0,1,1,100,1000000,1\n__import__('os'),1,1,1,1,1\n")
    with pytest.raises(ValueError, match="'time' must be numeric"):
        read_lobster(bad)  # data, never code


def test_messages_that_do_not_explain_the_book():
    m = _msgs()
    m[6, 3] = 400  # cancel 400 of the 300 shown at 100.02
    with pytest.raises(ValueError, match="remove more than the book shows at event row 6"):
        replay(read_lobster(m))
    out = replay(read_lobster(m, strict=False))  # liquidity older than the recording: clamped, counted
    assert out.n_clamped == 1


def test_top_of_book_is_validated():
    _, quotes, trades = _quotes()
    with pytest.raises(ValueError, match="missing the column.*'ask_size'"):
        read_top_of_book(quotes.drop(columns="ask_size"))
    with pytest.raises(ValueError, match="'ts' must be sorted"):
        read_top_of_book(quotes.iloc[::-1])
    crossed = quotes.copy()
    crossed.loc[2, "bid"] = 10.03
    with pytest.raises(ValueError, match="crossed book at row 2"):
        read_top_of_book(crossed)
    bad = trades.copy()
    bad.loc[1, "side"] = "X"
    with pytest.raises(ValueError, match="aggressor.*'X' at row 1"):
        read_top_of_book(quotes, bad)
    with pytest.raises(ValueError, match="no quotes"):
        read_top_of_book(quotes, trades.assign(symbol="ZZZ"))


def test_replay_arguments_are_validated():
    data = read_lobster(MSG)
    with pytest.raises(ValueError, match="queue_model"):
        replay(data, queue_model="optimistic")
    with pytest.raises(TypeError, match="ReplayData"):
        replay(_msgs())
    o = orders((1, 0, 1, 100.0, 10, TimeInForce.DAY))
    o["instrument"] = 3
    with pytest.raises(ValueError, match="'instrument' must index"):
        replay(data, o)


def test_simulate_with_replay_keeps_every_invariant():
    """The LOBSTER sample as AAPL's venue on the run's trade date: AAPL orders fill only against the
    recorded book (its prices and displayed sizes), the other names by the quote model."""
    import tradeflow
    from tests.conftest import small_config
    from tests.test_invariants import check_invariants

    cfg = small_config(600)
    data = read_lobster(MSG, BOOK, symbol="AAPL", date=cfg.market.trade_date)
    r = tradeflow.simulate(cfg, seed=2, replay=data)
    check_invariants(r)
    o = r.records["orders"]
    x = r.records["executions"]
    aapl = np.isin(x["order_id"], o["order_id"][o["instrument"] == 0])
    assert aapl.any() and (~aapl).any()
    recorded = np.loadtxt(BOOK, delimiter=",", dtype=np.int64)
    shown = {p / 10_000 for p in np.unique(recorded[:, 0::2][recorded[:, 1::2] > 0])}
    assert set(np.round(x["price"][aapl], 4).tolist()) <= shown
    assert x["qty"][aapl].max() <= recorded[:, 1::2].max()
    with pytest.raises(TypeError, match="ReplayData"):
        tradeflow.simulate(cfg, seed=2, replay=MSG)


def test_replay_mids():
    from tradeflow.front.replay import replay_mids

    m = replay_mids(read_lobster(MSG, date="2012-06-21"), np.array([at(34200.35), at(34202.0)]))
    assert list(m.columns) == ["LOBSTER"]
    np.testing.assert_allclose(m["LOBSTER"].to_numpy(), [100.005, 100.005])
