"""RiskEngine's public streaming path: DataFrames, dicts of arrays and structured arrays, validated per batch.

A malformed column raises ValueError naming the column and a bad value, and leaves the engine's
state exactly as it was; a record that is merely bad is refused with a reason code.
"""

import copy

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradeflow import RiskEngine

SYMS = ["AAA", "BBB", "CCC"]


def make_engine():
    inst = pd.DataFrame({"symbol": SYMS, "currency": ["USD", "USD", "EUR"]})
    rets = pd.DataFrame(np.random.default_rng(0).normal(0, 0.02, (100, 3)), columns=SYMS)
    return RiskEngine(inst, marks=[100.0, 50.0, 20.0], scenarios=rets, n_books=2, fx={"EUR": 1.1})


FILLS = {"ts": np.array([1, 2, 3], np.int64), "book": np.array([0, 1, 0]), "instrument": np.array([0, 1, 2]),
         "side": np.array([1, -1, 1]), "qty": np.array([10, 20, 30]), "price": np.array([100.0, 50.0, 20.0])}


def state(eng):
    """Everything a batch may move."""
    st_ = eng._state
    return copy.deepcopy((st_.pos, st_.avg, st_.realized, st_.fees, st_.n_fills, st_.book_state, st_.limit_state,
                          st_.n_fills_total, eng._spnl, eng._desk, eng._tail_loss, eng._working_buy,
                          eng._working_sell, eng._credit, eng._thr_ring, eng._otab, dict(eng._order_row),
                          eng._ts_fills, eng._ts_orders, eng._rejected))


def assert_same(a, b):
    for x, y in zip(a, b, strict=True):
        if isinstance(x, np.ndarray):
            np.testing.assert_array_equal(x, y)
        else:
            assert x == y


def test_dataframe_dict_and_structured_array_give_the_same_answers():
    from tradeflow.middle import nb
    before = set(nb.apply_fills_nb.signatures)
    outs, states = [], []
    rec = np.zeros(3, [("ts", "i8"), ("book", "i8"), ("instrument", "i8"), ("side", "i8"), ("qty", "i8"),
                       ("price", "f8")])
    for k, v in FILLS.items():
        rec[k] = v
    for data in (pd.DataFrame(FILLS), FILLS, rec):
        eng = make_engine()
        outs.append(eng.on_fills(data))
        states.append(state(eng))
    for o, s in zip(outs[1:], states[1:], strict=True):
        pd.testing.assert_frame_equal(o.reset_index(drop=True), outs[0].reset_index(drop=True))
        assert_same(s, states[0])
    assert outs[0]["accepted"].all()
    # one compiled kernel for every container (read-only columns, strided fields, writeable arrays)
    assert len(set(nb.apply_fills_nb.signatures) - before) <= 1


@pytest.mark.parametrize("with_var", [False, True])
def test_fills_without_ids_equal_fills_with_missing_ids(with_var):
    """Without an ``order_id`` column the fill kernel gets an empty row array (every fill external);
    with the column all missing it gets a row of -1 per fill: the same verdicts, VaR and state."""
    rng = np.random.default_rng(3)
    n = 400
    fills = {"ts": np.sort(rng.integers(0, 10**9, n)), "book": rng.integers(-1, 3, n),  # -1, 2: unknown books
             "instrument": rng.integers(0, 3, n), "side": rng.choice(np.array([1, -1]), n),
             "qty": rng.integers(-2, 500, n), "price": rng.uniform(10.0, 120.0, n)}  # qty <= 0: refused
    eng_a, eng_b = make_engine(), make_engine()
    a = eng_a.on_fills(fills, with_var=with_var)
    b = eng_b.on_fills({**fills, "order_id": [None] * n}, with_var=with_var)
    pd.testing.assert_frame_equal(a, b)
    assert_same(state(eng_a), state(eng_b))
    assert 0 < int(a["accepted"].sum()) < n  # both kinds of record were in the batch


@pytest.mark.parametrize("column, values, match", [
    ("qty", [10, 2.5, 3], r"'qty'.*whole numbers.*2\.5"),
    ("book", [0, 0.5, 1], r"'book'.*whole numbers.*0\.5"),
    ("qty", [10, np.inf, 3], r"'qty'.*whole numbers.*inf"),
    ("qty", [10, 1e30, 3], r"'qty'.*whole numbers"),
    ("price", [1.0, "abc", 2.0], r"'price'.*numbers.*'abc'"),
    ("qty", [10, {"a": 1}, 3], r"'qty'.*numbers"),
    ("ts", [1, None, 3], r"'ts'.*missing"),
    ("ts", [1.0, np.nan, 3.0], r"'ts'.*missing"),
    ("ts", pd.to_datetime(["2024-01-02", None, "2024-01-03"]), r"'ts'.*NaT"),
    ("ts", ["2024-01-02 10:00", "not a time", "2024-01-03"], r"'ts'.*timestamps.*not a time"),
])
def test_a_malformed_column_raises_naming_it_and_changes_nothing(column, values, match):
    eng = make_engine()
    eng.on_fills(pd.DataFrame(FILLS))
    before = state(eng)
    bad = dict(FILLS, ts=np.array([10, 11, 12], np.int64))
    bad[column] = values
    with pytest.raises(ValueError, match=match):
        eng.on_fills(pd.DataFrame(bad))
    assert_same(state(eng), before)


def test_missing_column_and_wrong_container():
    eng = make_engine()
    before = state(eng)
    with pytest.raises(ValueError, match="needs a column 'price'"):
        eng.on_fills({k: v for k, v in FILLS.items() if k != "price"})
    with pytest.raises(ValueError, match="same length"):
        eng.on_fills(dict(FILLS, qty=np.array([1, 2])))
    with pytest.raises(ValueError, match="'book' must be an array"):
        eng.on_fills(dict(FILLS, book={"a": 1}))
    with pytest.raises(TypeError, match="DataFrame, a dict of arrays or a structured array"):
        eng.on_fills([1, 2, 3])
    with pytest.raises(ValueError, match="'order_id'.*cannot be an id"):
        eng.check_orders(pd.DataFrame({"ts": [1, 2], "book": 0, "instrument": "AAA", "side": "BUY", "qty": 1,
                                       "ref_price": 100.0, "order_id": ["a", {"x": 1}]}))
    assert_same(state(eng), before)


def test_timestamps_as_datetimes_and_strings():
    eng = make_engine()
    out = eng.on_fills(dict(FILLS, ts=pd.to_datetime(["2024-01-02 10:00", "2024-01-02 10:01", "2024-01-02 10:02"],
                                                     utc=True)))
    assert out["accepted"].all()
    out = eng.on_fills(dict(FILLS, ts=["2024-01-02T10:03:00Z", "2024-01-02T10:04:00Z", "2024-01-02T10:05:00Z"]))
    assert out["accepted"].all()
    assert eng._ts_fills[0] == pd.Timestamp("2024-01-02T10:05:00Z").value


cells = st.one_of(st.integers(-10, 10), st.integers(-2**70, 2**70), st.floats(allow_nan=True, allow_infinity=True),
                  st.sampled_from(["BUY", "SELL", "AAA", "x", "", "1e3"]), st.none(), st.booleans(),
                  st.just({"k": 1}))
columns = ("ts", "book", "instrument", "side", "qty", "price", "fee")


@settings(deadline=None, max_examples=150)
@given(st.integers(1, 8).flatmap(lambda n: st.fixed_dictionaries(
    {c: st.one_of(st.lists(cells, min_size=n, max_size=n),
                  st.lists(st.integers(-3, 5), min_size=n, max_size=n).map(np.array),
                  st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=n, max_size=n).map(np.array))
     for c in columns})), st.booleans())
def test_fuzzed_batches_never_crash_and_a_rejected_batch_changes_nothing(data, as_frame):
    """Random dtypes, NaN, inf, negative, fractional and huge values: an answer per record or a
    ValueError, and after a ValueError the engine is exactly as before."""
    eng = make_engine()
    eng.on_fills(pd.DataFrame(FILLS))
    before = state(eng)
    batch = pd.DataFrame({k: pd.Series(v, dtype=object) if isinstance(v, list) else v for k, v in data.items()}) \
        if as_frame else data
    try:
        out = eng.on_fills(batch)
    except ValueError:
        assert_same(state(eng), before)
    else:
        n = len(data["ts"])
        assert len(out) == n
        assert (out["accepted"] == (out["reason"] == "NONE")).all()
        assert int(eng._state.n_fills.sum()) == int(before[4].sum()) + int(out["accepted"].sum())
    orders = {("ref_price" if k == "price" else k): v for k, v in data.items()}
    before = state(eng)
    try:
        chk = eng.check_orders(orders)
    except ValueError:
        assert_same(state(eng), before)
    else:
        assert len(chk) == len(data["ts"])
