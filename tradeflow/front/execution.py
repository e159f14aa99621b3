"""The fill model: market orders take the quote; limit orders rest until the market trades through."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tradeflow.config import ExecutionConfig
from tradeflow.front import _kernels
from tradeflow.market.paths import MarketData
from tradeflow.schema import OrderType

__all__ = ["CandidateFills", "candidate_fills"]


@dataclass(frozen=True, slots=True)
class CandidateFills:
    """What each order would get if the middle office accepts it.

    The fill model has no market impact, so an order's fill does not depend on the
    desk's other orders and can be found before the pre-trade loop runs; the loop
    then applies only the accepted orders' fills, in time order.

    Attributes
    ----------
    ts : int64 ndarray
        Fill time, or -1 for an order that would rest until it expires.
    price : float64 ndarray
    taker : bool ndarray
        True when the order took liquidity (market or marketable limit).
    fee : float64 ndarray
        Fee in the instrument's currency, rounded to its minor unit.
    """

    ts: np.ndarray
    price: np.ndarray
    taker: np.ndarray
    fee: np.ndarray


def candidate_fills(orders: np.ndarray, market: MarketData, cfg: ExecutionConfig,
                    minor_scale: np.ndarray) -> CandidateFills:
    """Run the fill model over every order.

    Parameters
    ----------
    orders : ndarray of ORDER_DT
    market : MarketData
    cfg : ExecutionConfig
    minor_scale : float64 ndarray of shape (n_instruments,)
        10 ** minor units of each instrument's currency, to round fees to cents.
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
    # Immediate fills happen at arrival; resting ones at the grid time the market crossed.
    ts = np.where(out_step < 0, -1, np.where(taker, orders["ts"], market.times[np.maximum(out_step, 0)]))
    bps = np.where(taker, cfg.taker_fee_bps, cfg.maker_fee_bps)
    scale = minor_scale[orders["instrument"]]
    notional = np.where(out_step < 0, 0.0, orders["qty"] * price)
    fee = np.rint(notional * bps * 1e-4 * scale) / scale
    return CandidateFills(ts=ts.astype(np.int64), price=price, taker=taker, fee=fee)
