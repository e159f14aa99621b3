"""Client behaviour: activity, aggressiveness, limit offsets, cancel habits, metaorders."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tradeflow.config import FlowConfig
from tradeflow.front import _kernels

__all__ = ["ClientProfiles", "client_profiles", "metaorder_ids", "order_sizes"]


@dataclass(frozen=True, slots=True)
class ClientProfiles:
    """Per-client behaviour, arrays of shape (n_clients,).

    Attributes
    ----------
    activity : share of the order flow each client sends (Zipf: client 0 is the busiest)
    aggressiveness : probability an order is a market order
    offset_bps : mean distance of a limit price behind the mid
    cancel_rate : share of the client's day limits it cancels
    """

    activity: np.ndarray
    aggressiveness: np.ndarray
    offset_bps: np.ndarray
    cancel_rate: np.ndarray


def client_profiles(cfg: FlowConfig) -> ClientProfiles:
    """Deterministic client profiles spread around the configured averages.

    Clients differ in a fixed pattern (no random draws, so the same client behaves the same
    in every run and day): aggressiveness and cancel rate spread +-50% around the config's
    values, limit offsets 0.5x-1.5x.
    """
    n = cfg.n_clients
    activity = 1.0 / np.arange(1, n + 1)
    activity /= activity.sum()
    spread = np.linspace(-0.5, 0.5, n) if n > 1 else np.zeros(1)
    rot = np.roll(spread, n // 3)
    return ClientProfiles(
        activity=activity,
        aggressiveness=np.clip(cfg.market_order_share * (1.0 + spread), 0.0, 1.0),
        offset_bps=cfg.limit_offset_bps * (1.0 + rot),
        cancel_rate=np.clip(cfg.cancel_rate * (1.0 - spread), 0.0, 1.0 - cfg.replace_rate),
    )


def metaorder_ids(rng: np.random.Generator, client: np.ndarray, n_clients: int, *, tail: float,
                  max_len: int) -> np.ndarray:
    """Split each client's orders, in time order, into consecutive metaorders.

    Metaorder lengths (in orders) are discrete Pareto ``floor(U ** (-1 / tail))``, so
    ``P(L >= l) = l ** -tail`` exactly at integers (Lillo, Mike & Farmer 2005: with ``1 < tail
    < 2`` the signs' autocorrelation decays as ``lag ** -(tail - 1)`` and their Hurst exponent
    is ``(3 - tail) / 2``), capped at ``max_len``: the capped metaorders hold a share of about
    ``max_len ** (1 - tail) / zeta(tail)`` of the orders (1.2% for tail 1.5 and 1,000).

    Returns
    -------
    int64 ndarray of shape (n,): a metaorder id per order, unique across clients.
    """
    if client.shape[0] and (client.min() < 0 or client.max() >= n_clients):
        raise ValueError(f"metaorder_ids: 'client' must be ids in [0, {n_clients}); got {client.min()}..{client.max()}")
    # one draw for all clients, in client order: the same numbers as a draw of each client's count in turn
    u = rng.random(client.shape[0])
    lengths = np.minimum(np.floor((1.0 - u) ** (-1.0 / tail)), max_len).astype(np.int64)
    out = np.empty(client.shape[0], np.int64)
    _kernels.metaorder_split_nb(np.asarray(client, np.int64), int(n_clients), lengths, out)
    return out


def order_sizes(rng: np.random.Generator, cfg: FlowConfig, n: int) -> np.ndarray:
    """Client order sizes in shares (before rounding to the instrument's lot).

    Power law (Pareto, tail ``size_tail``, median ``median_qty``) or log-normal; a
    ``round_lot_share`` of orders is rounded to a multiple of 100 shares.
    """
    if cfg.size_distribution == "powerlaw":
        xmin = cfg.median_qty / 2.0 ** (1.0 / cfg.size_tail)
        raw = xmin * (1.0 - rng.random(n)) ** (-1.0 / cfg.size_tail)
    else:
        raw = rng.lognormal(np.log(cfg.median_qty), cfg.qty_sigma, size=n)
    raw = np.minimum(raw, 1e9)
    round_lot = rng.random(n) < cfg.round_lot_share
    return np.where(round_lot, np.maximum(np.rint(raw / 100.0), 1.0) * 100.0, raw)
