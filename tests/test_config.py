import dataclasses

import numpy as np
import pytest

from tradeflow.config import (
    FlowConfig,
    FxRateConfig,
    InstrumentConfig,
    MarketConfig,
    PreTradeConfig,
    SimulationConfig,
)


def test_default_config_is_the_hundred_thousand_order_day():
    cfg = SimulationConfig()
    assert cfg.flow.orders_per_day == 100_000
    assert len(cfg.market.instruments) == 10
    assert set(cfg.market.currencies) == {"USD", "EUR"}


@pytest.mark.parametrize(
    ("factory", "field", "value"),
    [
        (lambda v: InstrumentConfig(symbol="X", volatility=v), "volatility", -0.2),
        (lambda v: InstrumentConfig(symbol="X", price=v), "price", 0.0),
        (lambda v: InstrumentConfig(symbol="X", price=v), "price", float("nan")),
        (lambda v: InstrumentConfig(symbol="X", tick_size=v), "tick_size", -0.01),
        (lambda v: InstrumentConfig(symbol="X", lot_size=v), "lot_size", 0),
        (lambda v: InstrumentConfig(symbol="X", currency=v), "currency", "usd"),
        (lambda v: FlowConfig(orders_per_day=v), "orders_per_day", 0),
        (lambda v: FlowConfig(n_books=v), "n_books", 0),
        (lambda v: FlowConfig(market_order_share=v), "market_order_share", 1.5),
        (lambda v: PreTradeConfig(max_order_qty=v), "max_order_qty", -5),
        (lambda v: FxRateConfig(pair="EURUSD", rate=v), "rate", -1.0),
        (lambda v: MarketConfig(step_seconds=v), "step_seconds", 0),
        (lambda v: MarketConfig(trade_date=v), "trade_date", "2026-11-28"),  # a Saturday
        # (a holiday is checked by simulate() against the real calendars: tests/market/test_clock.py)
        (lambda v: MarketConfig(session_close=v), "session_close", "10:00"),
    ],
)
def test_bad_values_raise_naming_field_and_value(factory, field, value):
    with pytest.raises(ValueError, match=f"'{field}'") as info:
        factory(value)
    assert repr(value) in str(info.value) or str(value) in str(info.value)


def test_non_psd_correlation_is_rejected():
    insts = tuple(InstrumentConfig(symbol=s) for s in "ABC")
    bad = ((1.0, 0.9, -0.9), (0.9, 1.0, 0.9), (-0.9, 0.9, 1.0))
    with pytest.raises(ValueError, match="correlation matrix is not positive semi-definite"):
        MarketConfig(instruments=insts, correlation=bad, fx_rates=())
    with pytest.raises(ValueError, match="'correlation'"):
        MarketConfig(instruments=insts, correlation=-0.9, fx_rates=())


def test_singular_but_psd_correlation_is_accepted():
    insts = tuple(InstrumentConfig(symbol=s) for s in "AB")
    m = MarketConfig(instruments=insts, correlation=((1.0, 1.0), (1.0, 1.0)), fx_rates=())
    np.testing.assert_allclose(m.correlation_matrix(), np.ones((2, 2)))


def test_unknown_instrument_in_limits_is_named():
    with pytest.raises(ValueError, match="unknown instrument 'NOPE'"):
        SimulationConfig(pretrade=PreTradeConfig(max_position_qty_by_symbol={"NOPE": 10}))


def test_currency_without_fx_path_is_rejected():
    insts = (InstrumentConfig(symbol="A", currency="GBP"),)
    with pytest.raises(ValueError, match="'fx_rates'.*GBP"):
        MarketConfig(instruments=insts, fx_rates=())


def test_tick_must_be_whole_minor_units():
    insts = (InstrumentConfig(symbol="A", tick_size=0.005),)
    with pytest.raises(ValueError, match="'tick_size'"):
        SimulationConfig(market=MarketConfig(instruments=insts, fx_rates=()))


def test_configs_are_frozen():
    cfg = SimulationConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.flow = FlowConfig()  # type: ignore[misc]


def test_from_toml_round_trip_and_unknown_keys(tmp_path):
    path = tmp_path / "desk.toml"
    path.write_text(
        """
pnl_interval_seconds = 120
[flow]
orders_per_day = 1000
n_books = 2
[[market.instruments]]
symbol = "AAA"
price = 50
[[market.instruments]]
symbol = "BBB"
currency = "EUR"
settlement_lag = 2
[market]
correlation = [[1.0, 0.5], [0.5, 1.0]]
"""
    )
    cfg = SimulationConfig.from_toml(path)
    assert cfg.flow.n_books == 2
    assert cfg.market.symbols == ("AAA", "BBB")
    assert cfg.market.instruments[0].price == 50.0
    assert cfg.pnl_interval_seconds == 120.0
    assert SimulationConfig.from_dict(cfg.to_dict()) == cfg

    path.write_text("[flow]\norders_per_dya = 10\n")
    with pytest.raises(ValueError, match="orders_per_dya"):
        SimulationConfig.from_toml(path)
