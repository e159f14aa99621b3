"""Bad input at every public entry point: a clear ValueError/TypeError/FileNotFoundError (or a documented
subclass) that names the argument, field or file and the bad value, raised before any simulation starts.

Each row: an entry point called with one bad input, the exception type it must raise and the strings its
message must contain (the argument's name, the bad value). Every row is cheap: validation fails before a
kernel runs (sizes the machine cannot hold are refused from the config's memory estimate).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tradeflow
from tradeflow.config import SimulationConfig
from tradeflow.config.memory import MemoryEstimateError, check_memory, estimate_memory
from tradeflow.market.user_prices import validate_user_prices

BIG = 2**63  # one above int64


def cfg(section: str | None, **fields):
    return SimulationConfig.from_dict({section: fields} if section else fields)


# --------------------------------------------------------------------------- configs
# (section, fields, exception, strings the message must contain)
CONFIG_ROWS = [
    ("market", {"trade_date": 20261125}, ValueError, ["trade_date", "20261125"]),
    ("market", {"trade_date": "20261125"}, ValueError, ["trade_date", "'20261125'"]),
    ("market", {"trade_date": "2026-13-01"}, ValueError, ["trade_date", "2026-13-01"]),
    ("market", {"trade_date": "2026-11-28"}, ValueError, ["trade_date", "business day"]),
    ("market", {"trade_date": None}, ValueError, ["trade_date", "None"]),
    ("market", {"session_open": "25:00"}, ValueError, ["session_open", "25:00"]),
    ("market", {"session_close": "10:00"}, ValueError, ["session_close", "10:00"]),
    ("market", {"step_seconds": 0}, ValueError, ["step_seconds", "0"]),
    ("market", {"step_seconds": float("nan")}, ValueError, ["step_seconds", "nan"]),
    ("market", {"step_seconds": -1.0}, ValueError, ["step_seconds", "-1.0"]),
    ("market", {"step_seconds": "1s"}, ValueError, ["step_seconds", "1s"]),
    ("market", {"correlation": 2.0}, ValueError, ["correlation", "2.0"]),
    ("market", {"correlation": "high"}, ValueError, ["correlation", "high"]),
    ("market", {"garch_alpha": -0.1}, ValueError, ["garch_alpha", "-0.1"]),
    ("market", {"garch_beta": 0.95}, ValueError, ["garch_beta", "0.95"]),
    ("market", {"jump_intensity": -1.0}, ValueError, ["jump_intensity", "-1.0"]),
    ("market", {"jump_std": float("inf")}, ValueError, ["jump_std", "inf"]),
    ("market", {"profile_open": 0}, ValueError, ["profile_open", "0"]),
    ("market", {"intraday_profile": "yes"}, ValueError, ["intraday_profile", "yes"]),
    ("market", {"holidays": {"usd": []}}, ValueError, ["holidays", "usd"]),
    ("market", {"holidays": {"USD": ["tomorrow"]}}, ValueError, ["holidays", "tomorrow"]),
    ("market", {"holidays": {"USD": [20261126]}}, ValueError, ["holidays", "20261126"]),
    ("market", {"instruments": []}, ValueError, ["instruments", "()"]),
    ("market", {"instruments": [{"symbol": "A"}, {"symbol": "A"}]}, ValueError, ["instruments", "'A'"]),
    ("market", {"instruments": [{"symbol": "A", "price": 0.001}]}, ValueError, ["price", "0.001", "tick_size"]),
    ("market", {"instruments": [{"symbol": "A", "price": -1}]}, ValueError, ["price", "-1"]),
    ("market", {"instruments": [{"symbol": "A", "price": float("nan")}]}, ValueError, ["price", "nan"]),
    ("market", {"instruments": [{"symbol": "A", "price": "100"}]}, ValueError, ["price", "'100'"]),
    ("market", {"instruments": [{"symbol": "A", "tick_size": 0}]}, ValueError, ["tick_size", "0"]),
    ("market", {"instruments": [{"symbol": "A", "lot_size": 1.5}]}, ValueError, ["lot_size", "1.5"]),
    ("market", {"instruments": [{"symbol": "A", "lot_size": BIG}]}, ValueError, ["lot_size", str(BIG)]),
    ("market", {"instruments": [{"symbol": "A", "settlement_lag": -1}]}, ValueError, ["settlement_lag", "-1"]),
    ("market", {"instruments": [{"symbol": "A", "currency": "usd"}]}, ValueError, ["currency", "usd"]),
    ("market", {"instruments": [{"symbol": "A", "mic": "xnys"}]}, ValueError, ["mic", "xnys"]),
    ("market", {"instruments": [{"symbol": ""}]}, ValueError, ["symbol", "''"]),
    ("market", {"instruments": [{"symbol": "A", "volatility": -0.1}]}, ValueError, ["volatility", "-0.1"]),
    ("market", {"options": [{"symbol": "C", "underlying": "AAPL", "strike": 200, "expiry": 20261231}]},
     ValueError, ["expiry", "20261231"]),
    ("market", {"options": [{"symbol": "C", "underlying": "AAPL", "strike": -1, "expiry": "2026-12-31"}]},
     ValueError, ["strike", "-1"]),
    ("market", {"options": [{"symbol": "C", "underlying": "AAPL", "strike": 200, "expiry": "2026-12-31",
                             "kind": "straddle"}]}, ValueError, ["kind", "straddle"]),
    ("market", {"options": [{"symbol": "C", "underlying": "NOPE", "strike": 200, "expiry": "2026-12-31"}]},
     ValueError, ["options", "NOPE"]),
    ("market", {"fx_rates": [{"pair": "EUR", "rate": 1.1}]}, ValueError, ["pair", "EUR"]),
    ("market", {"fx_rates": [{"pair": "EURUSD", "rate": 0}]}, ValueError, ["rate", "0"]),
    ("flow", {"orders_per_day": 0}, ValueError, ["orders_per_day", "0"]),
    ("flow", {"orders_per_day": -5}, ValueError, ["orders_per_day", "-5"]),
    ("flow", {"orders_per_day": float("nan")}, ValueError, ["orders_per_day", "nan"]),
    ("flow", {"orders_per_day": float("inf")}, ValueError, ["orders_per_day", "inf"]),
    ("flow", {"orders_per_day": "many"}, ValueError, ["orders_per_day", "many"]),
    ("flow", {"n_clients": 0}, ValueError, ["n_clients", "0"]),
    ("flow", {"n_clients": 2.5}, ValueError, ["n_clients", "2.5"]),
    ("flow", {"n_clients": BIG}, ValueError, ["n_clients", str(BIG)]),
    ("flow", {"n_clients": True}, ValueError, ["n_clients", "True"]),
    ("flow", {"n_books": 0}, ValueError, ["n_books", "0"]),
    ("flow", {"n_traders": 2, "n_books": 4}, ValueError, ["n_traders", "2"]),
    ("flow", {"hawkes_branching": 1.0}, ValueError, ["hawkes_branching", "1.0"]),
    ("flow", {"market_order_share": 1.5}, ValueError, ["market_order_share", "1.5"]),
    ("flow", {"arrivals": "uniform"}, ValueError, ["arrivals", "uniform"]),
    ("flow", {"size_distribution": "normal"}, ValueError, ["size_distribution", "normal"]),
    ("flow", {"metaorder_tail": 3.5}, ValueError, ["metaorder_tail", "3.5"]),
    ("flow", {"metaorder_max": 0}, ValueError, ["metaorder_max", "0"]),
    ("flow", {"ioc_share": 0.6, "fok_share": 0.6}, ValueError, ["fok_share", "0.6"]),
    ("flow", {"cancel_rate": 0.6, "replace_rate": 0.6}, ValueError, ["replace_rate", "0.6"]),
    ("flow", {"algo_slices": 0}, ValueError, ["algo_slices", "0"]),
    ("flow", {"algo_size_multiplier": 0.5}, ValueError, ["algo_size_multiplier", "0.5"]),
    ("flow", {"qty_sigma": -1.0}, ValueError, ["qty_sigma", "-1.0"]),
    ("execution", {"venue": "dark"}, ValueError, ["venue", "dark"]),
    ("execution", {"book_depth_ticks": 0}, ValueError, ["book_depth_ticks", "0"]),
    ("execution", {"book_depth_ticks": BIG}, ValueError, ["book_depth_ticks", str(BIG)]),
    ("execution", {"book_shape": "round"}, ValueError, ["book_shape", "round"]),
    ("execution", {"latency_us": -1.0}, ValueError, ["latency_us", "-1.0"]),
    ("execution", {"book_market_share": 0.5, "book_cancel_share": 0.5}, ValueError, ["book_cancel_share", "0.5"]),
    ("execution", {"impact_decay_exponent": 1.0}, ValueError, ["impact_decay_exponent", "1.0"]),
    ("execution", {"impact": "on"}, ValueError, ["impact", "on"]),
    ("pretrade", {"max_order_qty": BIG}, ValueError, ["max_order_qty", str(BIG)]),
    ("pretrade", {"max_order_qty": 10**30}, ValueError, ["max_order_qty", str(10**30)]),
    ("pretrade", {"max_order_qty": 0}, ValueError, ["max_order_qty", "0"]),
    ("pretrade", {"max_order_qty": 10.5}, ValueError, ["max_order_qty", "10.5"]),
    ("pretrade", {"max_position_qty": BIG}, ValueError, ["max_position_qty", str(BIG)]),
    ("pretrade", {"max_gross_position_qty": BIG}, ValueError, ["max_gross_position_qty", str(BIG)]),
    ("pretrade", {"max_position_qty_by_symbol": {"AAPL": BIG}}, ValueError,
     ["max_position_qty_by_symbol", str(BIG), "AAPL"]),
    ("pretrade", {"max_position_qty_by_symbol": {"NOPE": 10}}, ValueError, ["max_position_qty_by_symbol", "NOPE"]),
    ("pretrade", {"max_position_qty_by_symbol": {"AAPL": -1}}, ValueError, ["max_position_qty_by_symbol", "-1"]),
    ("pretrade", {"max_orders_per_second": 10**6}, ValueError, ["max_orders_per_second", "1000000"]),
    ("pretrade", {"price_collar_bps": 0}, ValueError, ["price_collar_bps", "0"]),
    ("pretrade", {"duplicate_window_s": -1.0}, ValueError, ["duplicate_window_s", "-1.0"]),
    ("risk", {"n_scenarios": 10}, ValueError, ["n_scenarios", "10"]),
    ("risk", {"n_scenarios": BIG}, ValueError, ["n_scenarios", str(BIG)]),
    ("risk", {"var_level": 1.0}, ValueError, ["var_level", "1.0"]),
    ("risk", {"es_level": 0.2}, ValueError, ["es_level", "0.2"]),
    ("risk", {"pnl_method": "lifo"}, ValueError, ["pnl_method", "lifo"]),
    ("risk", {"fx_scenarios": "no"}, ValueError, ["fx_scenarios", "no"]),
    ("risk", {"horizon_days": 0}, ValueError, ["horizon_days", "0"]),
    ("limits", {"warning_fraction": 0.0}, ValueError, ["warning_fraction", "0.0"]),
    ("limits", {"breach_action": "panic"}, ValueError, ["breach_action", "panic"]),
    ("limits", {"drawdown_window": "week"}, ValueError, ["drawdown_window", "week"]),
    ("limits", {"book_concentration": 2.0}, ValueError, ["book_concentration", "2.0"]),
    ("settlement", {"counterparty_fail_rates": {"abc": 0.1}}, ValueError, ["counterparty_fail_rates", "'abc'"]),
    ("settlement", {"counterparty_fail_rates": {1.5: 0.1}}, ValueError, ["counterparty_fail_rates", "1.5"]),
    ("settlement", {"counterparty_fail_rates": {"-1": 0.1}}, ValueError, ["counterparty_fail_rates", "'-1'"]),
    ("settlement", {"counterparty_fail_rates": {"2": "x"}}, ValueError, ["counterparty_fail_rates", "'x'"]),
    ("settlement", {"counterparty_fail_rates": {3: 2.0}}, ValueError, ["counterparty_fail_rates", "2.0"]),
    ("settlement", {"counterparty_fail_rates": [0.1]}, ValueError, ["counterparty_fail_rates", "[0.1]"]),
    ("settlement", {"fail_rates": {"USD": 1.5}}, ValueError, ["fail_rates", "1.5"]),
    ("settlement", {"default_fail_rate": -0.1}, ValueError, ["default_fail_rate", "-0.1"]),
    ("settlement", {"borrow_availability_by_symbol": {"AAPL": BIG}}, ValueError,
     ["borrow_availability_by_symbol", str(BIG)]),
    ("back", {"minor_units": {"USD": 9}}, ValueError, ["minor_units", "9"]),
    (None, {"days": 0}, ValueError, ["days", "0"]),
    (None, {"days": 1.5}, ValueError, ["days", "1.5"]),
    (None, {"days": BIG}, ValueError, ["days", str(BIG)]),
    (None, {"pnl_interval_seconds": 0}, ValueError, ["pnl_interval_seconds", "0"]),
    (None, {"flw": {}}, ValueError, ["flw"]),
    ("flow", {"orders": 5}, ValueError, ["orders", "flow"]),
    (None, {"market": "XNYS"}, ValueError, ["market", "XNYS"]),
]


@pytest.mark.parametrize("section,fields,exc,names", CONFIG_ROWS,
                         ids=[f"{s}.{next(iter(f))}-{i}" for i, (s, f, _, _) in enumerate(CONFIG_ROWS)])
def test_bad_config_is_refused_naming_field_and_value(section, fields, exc, names):
    with pytest.raises(exc) as info:
        cfg(section, **fields)
    for name in names:
        assert name in str(info.value), (name, str(info.value))


# --------------------------------------------------------------------------- sizes the machine cannot hold
SIZE_ROWS = [
    ("flow", "orders_per_day", 1e9), ("flow", "orders_per_day", 1e12),
    ("flow", "n_clients", 10**9), ("flow", "n_clients", 10**12),
    ("execution", "book_depth_ticks", 10**9), ("execution", "book_depth_ticks", 10**12),
    ("risk", "n_scenarios", 10**9), ("risk", "n_scenarios", 10**12),
]


@pytest.mark.parametrize("section,field,value", SIZE_ROWS)
def test_huge_sizes_are_refused_up_front_with_the_estimate(section, field, value):
    config = cfg(section, **{field: value})
    # refused against this machine's memory (and against a big one: 100 GB available)
    for available in (None, 10**11):
        with pytest.raises(MemoryEstimateError) as info:
            check_memory(config, available=available)
        msg = str(info.value)
        assert f"{section}.{field}={value!r}" in msg and "available" in msg
        assert info.value.field == f"{section}.{field}" and info.value.estimate > info.value.available
    with pytest.raises(ValueError, match=f"{field}={value!r}"):  # simulate refuses it before allocating
        tradeflow.simulate(config, seed=0)


def test_the_memory_estimate_is_of_the_right_order_and_grows_with_each_size():
    base = estimate_memory(SimulationConfig())["total"]
    # the default 100,000-order day peaks at 1.18 GB resident (0.32 GB of it imports): the estimate is ~1 GB
    assert 0.3e9 < base < 3e9
    assert check_memory(SimulationConfig(), available=10**12) == int(base)
    for section, field, value in SIZE_ROWS[::2]:
        assert estimate_memory(cfg(section, **{field: value}))["total"] > 10 * base


# --------------------------------------------------------------------------- simulate
@pytest.mark.parametrize("kwargs,exc,names", [
    ({"config": {"flow": {"orders_per_day": 10}}}, TypeError, ["config", "dict"]),
    ({"config": "config.toml"}, TypeError, ["config", "config.toml"]),
    ({"seed": -1}, ValueError, ["seed", "-1"]),
    ({"seed": 1.5}, ValueError, ["seed", "1.5"]),
    ({"seed": "7"}, ValueError, ["seed", "'7'"]),
    ({"seed": True}, ValueError, ["seed", "True"]),
    ({"config": SimulationConfig.from_dict({"flow": {"orders_per_day": 100}}), "progress": "yes"}, ValueError,
     ["progress", "yes"]),
    ({"prices": [1.0, 2.0]}, TypeError, ["prices", "list"]),
])
def test_simulate_refuses_bad_arguments(kwargs, exc, names):
    with pytest.raises(exc) as info:
        tradeflow.simulate(**kwargs)
    for name in names:
        assert name in str(info.value), (name, str(info.value))


# --------------------------------------------------------------------------- user prices
SYMBOLS = ["AAPL", "MSFT"]


def prices(n: int = 10) -> pd.DataFrame:
    idx = pd.date_range("2026-11-25 14:30", periods=n, freq="1min", tz="UTC")
    return pd.DataFrame({"AAPL": np.linspace(230, 231, n), "MSFT": np.linspace(420, 421, n)}, index=idx)


def _cell(value, col="MSFT", row=5):
    p = prices().astype(object)
    p.loc[p.index[row], col] = value
    return p


def _index(values):
    p = prices(len(values))
    p.index = pd.Index(values, dtype=object)
    return p


PRICE_ROWS = [
    (lambda: "prices.csv", TypeError, ["prices", "str"]),
    (lambda: prices()["AAPL"], TypeError, ["prices", "Series"]),
    (lambda: _cell("abc"), ValueError, ["prices", "'MSFT'", "'abc'"]),
    (lambda: _cell("1,5"), ValueError, ["prices", "'MSFT'", "'1,5'"]),
    (lambda: _cell(True), ValueError, ["prices", "'MSFT'", "True"]),
    (lambda: _cell(float("nan")), ValueError, ["prices", "finite", "'MSFT'", "nan"]),
    (lambda: _cell(float("inf")), ValueError, ["prices", "finite", "'MSFT'", "inf"]),
    (lambda: _cell(-1.0), ValueError, ["prices", "positive", "'MSFT'", "-1.0"]),
    (lambda: _cell(0.0), ValueError, ["prices", "positive", "'MSFT'", "0.0"]),
    (lambda: _cell(0.001), ValueError, ["prices", "one tick", "'MSFT'", "0.001"]),
    (lambda: _cell(1e300), ValueError, ["prices", "2**53 ticks", "'MSFT'", "1e+300"]),
    (lambda: _cell(1e17, col="AAPL"), ValueError, ["prices", "2**53 ticks", "'AAPL'", "1e+17"]),
    (lambda: _index(["2026-11-25 14:30", "not a time", "2026-11-25 14:32"]), ValueError,
     ["prices", "unparseable timestamp", "'not a time'"]),
    (lambda: _index(["2026-11-25 14:30", None, "2026-11-25 14:32"]), ValueError, ["prices", "NaT", "row 1"]),
    (lambda: _index([1.5, 2.5, 3.5]), ValueError, ["prices", "DatetimeIndex"]),
    (lambda: prices().iloc[::-1], ValueError, ["prices", "sorted"]),
    (lambda: pd.concat([prices(), prices().iloc[:1]]).sort_index(), ValueError, ["prices", "duplicate"]),
    (lambda: prices().drop(columns="MSFT"), ValueError, ["prices", "MSFT"]),
    (lambda: prices().iloc[:0], ValueError, ["prices", "no rows"]),
]


@pytest.mark.parametrize("make,exc,names", PRICE_ROWS)
def test_bad_user_prices_are_named(make, exc, names):
    with pytest.raises(exc) as info:
        validate_user_prices(make(), SYMBOLS, tick_sizes=[0.01, 0.01])
    for name in names:
        assert name in str(info.value), (name, str(info.value))


def test_a_price_spike_through_simulate_is_a_clear_error_not_an_overflow():
    config = SimulationConfig.from_dict({"market": {"instruments": [{"symbol": "AAPL", "price": 230.0}],
                                                    "fx_rates": []}})
    p = prices()[["AAPL"]].copy()
    p.iloc[3, 0] = 1e300
    with pytest.raises(ValueError, match=r"'AAPL'.*1e\+300"):
        tradeflow.simulate(config, prices=p)
    p.iloc[3, 0] = 1e12  # whole ticks, but a book spanning 10^14 price levels: refused from its memory need
    with pytest.raises(MemoryEstimateError, match=r"prices\['AAPL'\]"):
        tradeflow.simulate(config, prices=p)


@given(value=st.one_of(st.floats(allow_nan=True, allow_infinity=True).filter(lambda v: not 0.01 <= v <= 2**52),
                       st.text(max_size=5), st.booleans(), st.none()))
def test_any_bad_cell_is_a_value_error_naming_its_column(value):
    p = _cell(value)
    if value is None:  # a missing cell: NaN
        value = float("nan")
    with pytest.raises(ValueError) as info:
        validate_user_prices(p, SYMBOLS, tick_sizes=[0.01, 0.01])
    assert "'MSFT'" in str(info.value)


# --------------------------------------------------------------------------- run store
@pytest.fixture(scope="module")
def store_run():
    pytest.importorskip("pyarrow")
    from tests.conftest import small_config
    return tradeflow.simulate(small_config(300), seed=3)


@pytest.fixture(scope="module")
def good_store(store_run, tmp_path_factory):
    return store_run.to_parquet(tmp_path_factory.mktemp("stores") / "good")


def _meta(path: Path, **changes):
    meta = json.loads((path / "meta.json").read_text())
    for k, v in changes.items():
        if v is KeyError:
            del meta[k]
        else:
            meta[k] = v
    (path / "meta.json").write_text(json.dumps(meta))


def _truncate(path: Path, rel: str):
    data = (path / rel).read_bytes()
    (path / rel).write_bytes(data[: len(data) // 2])


def _drop_column(path: Path, rel: str, col: str):
    import pyarrow.parquet as pq
    t = pq.read_table(path / rel)
    pq.write_table(t.drop_columns([col]), path / rel)


def _rename_record(path: Path, new: str):
    meta = json.loads((path / "meta.json").read_text())
    meta["records"] = {(new if k == "fills" else k): v for k, v in meta["records"].items()}
    (path / "meta.json").write_text(json.dumps(meta))


STORE_ROWS = [
    ("truncated meta.json", lambda p: _truncate(p, "meta.json"), "DamagedStoreError", ["meta.json", "not valid JSON"]),
    ("empty meta.json", lambda p: (p / "meta.json").write_text(""), "DamagedStoreError", ["meta.json"]),
    ("meta.json a list", lambda p: (p / "meta.json").write_text("[1, 2]"), "DamagedStoreError", ["meta.json", "list"]),
    ("binary meta.json", lambda p: (p / "meta.json").write_bytes(b"\xff\xfe\x00"), "DamagedStoreError",
     ["meta.json"]),
    ("records not a table", lambda p: _meta(p, records=["fills"]), "DamagedStoreError", ["records", "['fills']"]),
    ("no config", lambda p: _meta(p, config=KeyError), "DamagedStoreError", ["config", "<missing>"]),
    ("format_version a string", lambda p: _meta(p, format_version="1"), "DamagedStoreError",
     ["format_version", "'1'"]),
    ("invalid config", lambda p: _meta(p, config={"days": 0}), "DamagedStoreError", ["config", "days", "0"]),
    ("seed missing", lambda p: _meta(p, seed=KeyError), "DamagedStoreError", ["seed", "<missing>"]),
    ("traversal name", lambda p: _rename_record(p, "../../x"), "DamagedStoreError", ["record name", "'../../x'"]),
    ("absolute name", lambda p: _rename_record(p, "/etc/passwd"), "DamagedStoreError", ["'/etc/passwd'"]),
    ("nested name", lambda p: _rename_record(p, "a/b"), "DamagedStoreError", ["'a/b'"]),
    ("dot name", lambda p: _rename_record(p, ".."), "DamagedStoreError", ["'..'"]),
    ("truncated table", lambda p: _truncate(p, "records/fills.parquet"), "DamagedStoreError",
     ["records/fills.parquet", "cannot be read"]),
    ("truncated quotes", lambda p: _truncate(p, "market/quotes.parquet"), "DamagedStoreError",
     ["market/quotes.parquet"]),
    ("missing column", lambda p: _drop_column(p, "records/fills.parquet", "price"), "DamagedStoreError",
     ["records/fills.parquet", "'price'"]),
    ("missing quote column", lambda p: _drop_column(p, "market/quotes.parquet", "mid_0"), "DamagedStoreError",
     ["market/quotes.parquet", "'mid_0'"]),
    ("missing table", lambda p: (p / "records" / "fills.parquet").unlink(), FileNotFoundError,
     ["incomplete", "fills.parquet"]),
    ("no meta.json", lambda p: (p / "meta.json").unlink(), FileNotFoundError, ["no meta.json"]),
]


@pytest.mark.parametrize("what,damage,exc,names", STORE_ROWS, ids=[r[0] for r in STORE_ROWS])
def test_damaged_store_is_named(good_store, tmp_path, what, damage, exc, names):
    from tradeflow.results import RunResult
    from tradeflow.store import DamagedStoreError
    exc = DamagedStoreError if exc == "DamagedStoreError" else exc
    path = tmp_path / "store"
    shutil.copytree(good_store, path)
    damage(path)
    with pytest.raises(exc) as info:
        RunResult.from_parquet(path)
    assert str(path) in str(info.value)
    for name in names:
        assert name in str(info.value), (name, str(info.value))
    assert issubclass(DamagedStoreError, ValueError)


def test_a_traversal_name_neither_reads_nor_writes_outside_the_store(store_run, tmp_path):
    from tradeflow.results import RunResult
    from tradeflow.store import DamagedStoreError
    outside = tmp_path / "x.parquet"
    shutil.copy(good := store_run.to_parquet(tmp_path / "a" / "b" / "store") / "records" / "fills.parquet",
                outside)
    _rename_record(good.parents[1], "../../../x")  # records/../../../x.parquet is tmp_path/x.parquet
    with pytest.raises(DamagedStoreError, match="record name"):
        RunResult.from_parquet(good.parents[1])
    evil = RunResult(config=store_run.config, seed=store_run.seed, market=store_run.market,
                     records={**store_run.records, "../../../y": store_run.records["fills"]},
                     trade_dates=store_run.trade_dates)
    with pytest.raises(DamagedStoreError, match="'../../../y'"):
        evil.to_parquet(tmp_path / "a" / "b" / "store2")
    assert not (tmp_path / "y.parquet").exists() and not (tmp_path / "a" / "b" / "store2").exists()


_KILLED_WRITER = """
import os, sys
from tradeflow import store
from tradeflow.results import RunResult
run = RunResult.from_parquet(sys.argv[1])
real = os.replace
if sys.argv[3] == "mid-write":
    import pyarrow.parquet as pq
    calls = []
    def write_table(*a, **k):
        calls.append(1)
        if len(calls) == 3:
            os._exit(9)  # killed mid-write: no except, no finally
        return pq.__dict__["_real"](*a, **k)
    pq._real = pq.write_table
    pq.write_table = write_table
else:
    def replace(src, dst):
        if ".tmp-" in str(src):
            os._exit(9)  # killed between moving the old store aside and renaming the new one in
        return real(src, dst)
    store.os.replace = replace
run.to_parquet(sys.argv[2])
"""


def _killed_write(src: Path, dst: Path, when: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(tradeflow.__file__).parents[1])}
    proc = subprocess.run([sys.executable, "-c", _KILLED_WRITER, str(src), str(dst), when], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 9, proc.stderr


def test_a_killed_write_leaves_a_temporary_that_is_reported_then_cleaned(good_store, store_run, tmp_path):
    from tradeflow.results import RunResult
    from tradeflow.store import recover
    path = tmp_path / "run"
    _killed_write(good_store, path, "mid-write")
    left = [p.name for p in tmp_path.iterdir()]
    assert len(left) == 1 and left[0].startswith(".run.tmp-")  # the killed writer's temporary, nothing else
    with pytest.raises(FileNotFoundError, match=r"\.run\.tmp-.*killed write"):
        RunResult.from_parquet(path)
    store_run.to_parquet(path)  # the next write cleans it up
    assert [p.name for p in tmp_path.iterdir()] == ["run"]
    assert recover(path) == []


def test_a_kill_between_the_renames_is_named_and_recovered(good_store, store_run, tmp_path):
    from tradeflow.results import RunResult
    from tradeflow.store import recover
    path = tmp_path / "run"
    shutil.copytree(good_store, path)
    _killed_write(good_store, path, "between-renames")
    assert not path.exists()
    old = [p for p in tmp_path.iterdir() if p.name.startswith(".run.old-")]
    assert len(old) == 1
    with pytest.raises(FileNotFoundError, match=r"previous store is whole at .*\.run\.old-.*recover"):
        RunResult.from_parquet(path)
    actions = recover(path)
    assert any("renamed the previous store" in a for a in actions)
    assert RunResult.from_parquet(path).seed == store_run.seed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_a_live_writers_temporary_is_left_alone(tmp_path):
    from tradeflow.store import recover
    path = tmp_path / "run"
    live = tmp_path / f".run.tmp-{os.getpid()}-{'a' * 32}"
    live.mkdir()
    assert recover(path) == [] and live.exists()


# --------------------------------------------------------------------------- command line
def _toml(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "cfg.toml"
    p.write_text(text)
    return p


CLI_ROWS = [
    (lambda t: ["run", "--config", str(t)], ["--config", "is a directory"]),
    (lambda t: ["run", "--config", str(t / "nope.toml")], ["--config", "nope.toml", "no such file"]),
    (lambda t: ["run", "--config", str(_toml(t, "[flow\norders_per_day = 5"))], ["cfg.toml"]),
    (lambda t: ["run", "--config", str(_toml(t, "[flow]\norders_per_day = -5"))], ["orders_per_day", "-5"]),
    (lambda t: ["run", "--config", str(_toml(t, "[market]\ntrade_date = 20261125"))], ["trade_date", "20261125"]),
    (lambda t: ["run", "--config", str(_toml(t, "[flow]\norders_per_day = 1e12"))],
     ["orders_per_day", "1000000000000.0", "memory"]),
    (lambda t: ["run", "--seed", "-1", "--out", str(t / "fresh")], ["seed", "-1"]),
    (lambda t: ["report", str(t)], ["no meta.json"]),
    (lambda t: ["report", str(t / "nope")], ["does not exist"]),
]


def _cli_errors(argv, capsys):
    from tradeflow.cli import main
    rc = main(argv)
    err = capsys.readouterr().err
    return rc, err


@pytest.mark.parametrize("make,names", CLI_ROWS)
def test_cli_bad_input_is_one_line_and_a_nonzero_exit(tmp_path, capsys, make, names):
    (tmp_path / "junk.txt").write_text("not a store")
    rc, err = _cli_errors(make(tmp_path), capsys)
    assert rc == 2
    assert err.startswith("tradeflow: error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    for name in names:
        assert name in err, (name, err)


def test_cli_refuses_a_non_store_out_before_simulating(tmp_path, capsys, monkeypatch):
    import tradeflow.sim
    (tmp_path / "thesis.txt").write_text("irreplaceable")
    monkeypatch.setattr(tradeflow.sim, "simulate", lambda *a, **k: pytest.fail("simulated before refusing --out"))
    rc, err = _cli_errors(["run", "--out", str(tmp_path)], capsys)
    assert rc == 2 and "not a tradeflow run store" in err and str(tmp_path) in err
    assert (tmp_path / "thesis.txt").read_text() == "irreplaceable"


def test_cli_report_of_a_damaged_store_is_one_line(good_store, tmp_path, capsys):
    path = tmp_path / "store"
    shutil.copytree(good_store, path)
    _truncate(path, "meta.json")
    rc, err = _cli_errors(["report", str(path)], capsys)
    assert rc == 2 and err.count("\n") == 1 and "meta.json" in err and "Traceback" not in err
    shutil.rmtree(path)
    shutil.copytree(good_store, path)
    _drop_column(path, "records/fills.parquet", "price")
    rc, err = _cli_errors(["report", str(path)], capsys)
    assert rc == 2 and err.count("\n") == 1 and "'price'" in err


def test_cli_run_with_a_directory_config_in_a_real_process(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "tradeflow", "run", "--config", str(tmp_path)],
                          env={**os.environ, "PYTHONPATH": str(Path(tradeflow.__file__).parents[1])},
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


# --------------------------------------------------------------------------- run_many
SMALL = {"flow": {"orders_per_day": 100}}


@pytest.mark.parametrize("kwargs,names", [
    ({"n_runs": 0}, ["n_runs", "0"]),
    ({"n_runs": -1}, ["n_runs", "-1"]),
    ({"n_runs": 1.5}, ["n_runs", "1.5"]),
    ({"n_runs": "3"}, ["n_runs", "'3'"]),
    ({"n_runs": None}, ["n_runs", "None"]),
    ({"n_runs": 2, "seeds": [1, 2]}, ["n_runs", "2"]),
    ({"seeds": []}, ["seeds", "[]"]),
    ({"seeds": [1, -1]}, ["seeds", "-1"]),
    ({"seeds": "12"}, ["seeds", "'12'"]),
    ({"n_runs": 1, "seed": -3}, ["seed", "-3"]),
    ({"n_runs": 1, "executor": "threads"}, ["executor", "threads"]),
    ({"n_runs": 1, "retries": -1}, ["retries", "-1"]),
    ({"n_runs": 1, "max_in_flight": 0}, ["max_in_flight", "0"]),
    ({"n_runs": 1, "resume": "yes"}, ["resume", "yes"]),
    ({"n_runs": 1, "resume": True}, ["resume", "True"]),
    ({"n_runs": 1, "metrics": [1]}, ["metrics", "1"]),
    ({"n_runs": 1, "config": 5}, ["config", "5"]),
    ({"n_runs": 2, "config": [SMALL]}, ["config", "2"]),
    ({"n_runs": 1, "overrides": {10: {}}}, ["overrides", "10"]),
    ({"n_runs": 1, "overrides": {0: 5}}, ["overrides", "5"]),
])
def test_run_many_refuses_bad_arguments_before_running(kwargs, names):
    kwargs = {"config": SMALL, "executor": "sequential", "progress": False, **kwargs}
    with pytest.raises(ValueError) as info:
        tradeflow.run_many(**kwargs)
    for name in names:
        assert name in str(info.value), (name, str(info.value))


def test_run_many_processes_from_a_script_on_stdin_says_why(tmp_path):
    script = textwrap.dedent("""
        import tradeflow
        try:
            tradeflow.run_many({"flow": {"orders_per_day": 100}}, n_runs=2, executor="processes", n_workers=1,
                               progress=False)
        except ValueError as exc:
            print("REFUSED", exc)
    """)
    proc = subprocess.run([sys.executable, "-"], input=script, cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(Path(tradeflow.__file__).parents[1])}, timeout=300)
    out = proc.stdout
    assert "REFUSED" in out, (out, proc.stderr[-2000:])
    assert "'<stdin>'" in out and "executor" in out and "Save the script to a file" in out
    assert "BrokenProcessPool" not in out + proc.stderr


def _kill_self(result) -> int:
    if result.config.pnl_interval_seconds == 601:
        os.kill(os.getpid(), signal.SIGKILL)
    return 0


def test_a_worker_killed_outright_is_reported_with_its_signal():
    from tradeflow.parallel import METRICS, Metric
    out = tradeflow.run_many({**SMALL, "pnl_interval_seconds": 601}, n_runs=1, seed=1, executor="processes",
                             n_workers=1, progress=False, retries=0, mp_context="fork", warm=False,
                             metrics=(*METRICS, Metric("probe", _kill_self)))
    error = out.loc[0, "error"]
    assert out.loc[0, "status"] == "failed"
    assert "exited with code -9" in error and "SIGKILL" in error, error


def test_the_table_has_over_a_hundred_rows():
    n = len(CONFIG_ROWS) + len(SIZE_ROWS) + len(PRICE_ROWS) + len(STORE_ROWS) + len(CLI_ROWS) + 8 + 20
    assert n >= 100, n
