"""Client order flow: Poisson arrivals of market and limit orders from clients, traders and books."""

from __future__ import annotations

import numpy as np

from tradeflow.config import FlowConfig
from tradeflow.market.paths import MarketData
from tradeflow.schema import ORDER_DT, OrderStatus, OrderType, RejectReason, TimeInForce

__all__ = ["generate_orders", "client_assignments"]


def client_assignments(cfg: FlowConfig) -> tuple[np.ndarray, np.ndarray]:
    """Who covers whom: the trader of each client and the book of each trader.

    Returns
    -------
    trader_of_client : int32 ndarray of shape (n_clients,)
    book_of_trader : int32 ndarray of shape (n_traders,)
    """
    trader_of_client = (np.arange(cfg.n_clients) % cfg.n_traders).astype(np.int32)
    book_of_trader = (np.arange(cfg.n_traders) % cfg.n_books).astype(np.int32)
    return trader_of_client, book_of_trader


def generate_orders(cfg: FlowConfig, market: MarketData, rng: np.random.Generator, *,
                    first_order_id: int = 0) -> np.ndarray:
    """Draw one session of client orders.

    Arrivals are a homogeneous Poisson process over the session (the count is
    Poisson, the times uniform order statistics). Clients are Zipf-active; each
    order's trader and book follow from the client. Limit prices sit a normal
    number of bps behind the mid, so some are marketable; a small share of
    orders are fat-fingered (size x100 or price 10% through the market).

    Parameters
    ----------
    cfg : FlowConfig
    market : MarketData
        Supplies the session grid, mids (the reference price) and tick/lot sizes.
    rng : numpy.random.Generator
        The flow's own stream.
    first_order_id : int, default=0
        Id of the first order (ids run on across the days of a run).

    Returns
    -------
    ndarray of ORDER_DT, sorted by ``ts``, ``order_id`` = ``first_order_id`` + position.
    """
    n = int(rng.poisson(cfg.orders_per_day))
    orders = np.zeros(n, dtype=ORDER_DT)
    if n == 0:
        return orders
    inst = market.instruments
    t0 = market.times[0]
    span = market.times[-1] - t0
    ts = np.sort(t0 + np.floor(rng.random(n) * span).astype(np.int64))

    weights = inst["weight"].to_numpy(np.float64)
    if weights.sum() <= 0:
        weights = np.ones_like(weights)
    instrument = rng.choice(len(weights), size=n, p=weights / weights.sum()).astype(np.int32)
    activity = 1.0 / np.arange(1, cfg.n_clients + 1)
    client = rng.choice(cfg.n_clients, size=n, p=activity / activity.sum()).astype(np.int32)
    trader_of_client, book_of_trader = client_assignments(cfg)
    trader = trader_of_client[client]
    book = book_of_trader[trader]
    counterparty = rng.integers(0, cfg.n_counterparties, size=n).astype(np.int32)
    side = np.where(rng.random(n) < 0.5, 1, -1).astype(np.int8)
    is_market = rng.random(n) < cfg.market_order_share

    lot = inst["lot_size"].to_numpy(np.int64)[instrument]
    raw = rng.lognormal(np.log(cfg.median_qty), cfg.qty_sigma, size=n)
    qty = np.maximum(np.rint(raw / lot).astype(np.int64), 1) * lot

    step = market.step_of(ts)
    ref = market.mid[instrument, step]
    tick = inst["tick_size"].to_numpy(np.float64)[instrument]
    offset = rng.normal(cfg.limit_offset_bps, abs(cfg.limit_offset_bps) or 1.0, size=n) * 1e-4
    fat = rng.random(n) < cfg.fat_finger_rate
    fat_size = fat & (rng.random(n) < 0.5)
    qty = np.where(fat_size, qty * 100, qty)
    offset = np.where(fat & ~fat_size, -0.10, offset)  # 10% through the market
    raw_limit = ref * (1.0 - side * offset)
    # Round limits away from the market onto the tick grid (buy down, sell up).
    limit_ticks = np.where(side > 0, np.floor(raw_limit / tick + 1e-9), np.ceil(raw_limit / tick - 1e-9))
    limit = np.maximum(limit_ticks, 1.0) * tick

    orders["order_id"] = first_order_id + np.arange(n)
    orders["parent_id"] = -1
    orders["ts_cancel"] = -1
    orders["ts"] = ts
    orders["instrument"] = instrument
    orders["client"] = client
    orders["trader"] = trader
    orders["book"] = book
    orders["counterparty"] = counterparty
    orders["side"] = side
    orders["order_type"] = np.where(is_market, OrderType.MARKET, OrderType.LIMIT)
    orders["tif"] = TimeInForce.DAY
    orders["status"] = OrderStatus.NEW
    orders["reject_reason"] = RejectReason.NONE
    orders["qty"] = qty
    orders["limit_price"] = np.where(is_market, np.nan, limit)
    orders["ref_price"] = ref
    orders["avg_fill_price"] = np.nan
    orders["ts_done"] = -1
    return orders
