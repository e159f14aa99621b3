"""The fill model: market orders take the quote; limit orders rest until the market trades through."""

from __future__ import annotations

import numpy as np

from tradeflow.config import ExecutionConfig
from tradeflow.core.merge import time_then_id_order
from tradeflow.front import _kernels
from tradeflow.market.paths import MarketData
from tradeflow.schema import EXECUTION_DT, OrderType

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
    inst = market.instruments
    mult = inst["multiplier"].to_numpy(np.float64) if "multiplier" in inst else np.ones(market.n_instruments)
    filled = np.flatnonzero(out_step >= 0)
    # each execution's time, to write it straight at its row in (ts, order_id) order: immediate fills happen
    # at arrival, resting ones at the grid time the market crossed (sorting the records afterwards, a merge
    # and a gather of every record, took twice as long)
    ts = np.where(taker[filled], orders["ts"][filled], market.times[out_step[filled]])
    order = time_then_id_order(ts, orders["order_id"][filled])
    slot = np.empty(order.shape[0], np.int64)
    slot[order] = np.arange(order.shape[0])
    execs = np.zeros(filled.shape[0], dtype=EXECUTION_DT)
    # fees are bps of the money traded: qty x price x contract multiplier
    _kernels.execution_records_nb(orders, out_step, price, taker, market.times, float(cfg.taker_fee_bps),
                                  float(cfg.maker_fee_bps), np.asarray(minor_scale, np.float64), mult, slot, execs)
    return execs
