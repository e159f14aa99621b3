"""The fill model: market orders take the quote; limit orders rest until the market trades through."""

from __future__ import annotations

import numpy as np

from tradeflow.config import ExecutionConfig
from tradeflow.core.records import take_records
from tradeflow.front import _kernels
from tradeflow.market.paths import MarketData
from tradeflow.schema import EXECUTION_DT, Liquidity, OrderType

__all__ = ["execute_orders"]


def execute_orders(orders: np.ndarray, market: MarketData, cfg: ExecutionConfig,
                   minor_scale: np.ndarray) -> np.ndarray:
    """What the venue would do with every order if the desk sent it.

    A market order, or a limit order marketable on arrival, takes the touch at once
    (taker). A resting limit order fills in full at its limit at the first later quote
    that trades through it (maker), or never, and then expires at the close. The model
    has no market impact, so an order's executions do not depend on the desk's other
    orders and the middle office can simply discard those of orders it rejects.

    Parameters
    ----------
    orders : ndarray of ORDER_DT
        One session's orders, all within ``market``'s grid.
    market : MarketData
        The session's quotes.
    cfg : ExecutionConfig
    minor_scale : float64 ndarray of shape (n_instruments,)
        10 ** minor units of each instrument's currency; fees are rounded to it.

    Returns
    -------
    ndarray of EXECUTION_DT sorted by (ts, order_id).
    """
    n = orders.shape[0]
    step = market.step_of(orders["ts"]).astype(np.int64)
    out_step = np.empty(n, np.int64)
    price = np.empty(n, np.float64)
    taker = np.empty(n, np.bool_)
    max_bid, min_ask = _kernels.block_extrema_nb(market.bid, market.ask, _kernels.BLOCK)
    _kernels.candidate_fills_nb(
        step, orders["instrument"].astype(np.int64), orders["side"].astype(np.int64),
        orders["order_type"] == OrderType.LIMIT, orders["limit_price"].astype(np.float64),
        market.bid, market.ask, max_bid, min_ask, _kernels.BLOCK, out_step, price, taker,
    )
    hit = np.flatnonzero(out_step >= 0)
    execs = np.zeros(hit.size, dtype=EXECUTION_DT)
    execs["order_id"] = orders["order_id"][hit]
    # immediate fills happen at arrival; resting ones at the grid time the market crossed
    execs["ts"] = np.where(taker[hit], orders["ts"][hit], market.times[out_step[hit]])
    execs["qty"] = orders["qty"][hit]
    execs["price"] = price[hit]
    execs["liquidity"] = np.where(taker[hit], Liquidity.TAKER, Liquidity.MAKER)
    bps = np.where(taker[hit], cfg.taker_fee_bps, cfg.maker_fee_bps)
    scale = minor_scale[orders["instrument"][hit]]
    inst = market.instruments
    mult = (inst["multiplier"].to_numpy(np.float64) if "multiplier" in inst
            else np.ones(market.n_instruments))[orders["instrument"][hit]]
    # fees are bps of the money traded: qty x price x contract multiplier
    execs["fee"] = np.rint(execs["qty"] * execs["price"] * mult * bps * 1e-4 * scale) / scale
    return take_records(execs, np.lexsort((execs["order_id"], execs["ts"])))
