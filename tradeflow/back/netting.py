"""From instructions to obligations: gross, or bilaterally netted (the BIS DvP models 1-3)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tradeflow.schema import OBLIGATION_DT, SettlementStatus

__all__ = ["net_obligations", "NETTING_MODELS", "group_in_order"]

NETTING_MODELS = ("gross", "net_cash", "net_all")


def net_obligations(instructions: np.ndarray, model: str = "gross", *,
                    first_obligation_id: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Group settlement instructions into the obligations that actually settle.

    ``gross`` (BIS model 1) and ``net_cash`` (model 2: securities move gross, cash is
    netted when posted) keep one obligation per instruction; ``net_all`` (model 3)
    nets securities and cash bilaterally per book x counterparty x instrument x
    settlement date (within one trade date's batch).

    Parameters
    ----------
    instructions : ndarray of SETTLEMENT_DT
    model : {"gross", "net_cash", "net_all"}
    first_obligation_id : int, default=0

    Returns
    -------
    obligations : ndarray of OBLIGATION_DT
        ``qty`` > 0 the book receives, ``cash`` > 0 the book pays.
    obligation_of : int64 ndarray of shape (n_instructions,)
        The obligation id of each instruction.
    """
    if model not in NETTING_MODELS:
        raise ValueError(f"The 'model' parameter of net_obligations must be one of {list(NETTING_MODELS)}. "
                         f"Got {model!r} instead.")
    ins = instructions
    n = ins.shape[0]
    signed_qty = ins["side"].astype(np.int64) * ins["qty"]
    if model == "net_all" and n:
        group, rep = group_in_order(ins["book"], ins["counterparty"], ins["instrument"], ins["settle_date"],
                                    ins["trade_date"])
        m = rep.shape[0]
    else:
        group = np.arange(n)
        rep = np.arange(n)
        m = n
    out = np.zeros(m, dtype=OBLIGATION_DT)
    out["obligation_id"] = first_obligation_id + np.arange(m)
    for f in ("book", "counterparty", "instrument", "currency", "trade_date", "settle_date"):
        out[f] = ins[f][rep]
    out["n_instructions"] = np.bincount(group, minlength=m)
    qty = np.zeros(m, np.int64)
    cash = np.zeros(m, np.int64)
    np.add.at(qty, group, signed_qty)
    np.add.at(cash, group, ins["cash_amount"])
    out["qty"] = qty
    out["cash"] = cash
    out["status"] = SettlementStatus.PENDING
    out["settled_date"] = -1
    return out, first_obligation_id + group.astype(np.int64)


def group_in_order(*keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group rows by equal ``keys``, groups numbered in order of their first row.

    Returns
    -------
    group : int64 ndarray of shape (n,)
        The group of each row.
    first : int64 ndarray of shape (n_groups,)
        The first row of each group.
    """
    n = keys[0].shape[0]
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    # pack the keys into one int64 (mixed radix over each key's range) and hash-factorize it: O(n)
    packed = np.zeros(n, np.int64)
    span = 1
    for k in keys:
        k = np.asarray(k, np.int64)
        lo, width = int(k.min()), int(k.max() - k.min()) + 1
        if span * width >= 2**62:  # too wide to pack: fall back to a lexicographic sort
            return _group_by_sort(keys)
        packed += (k - lo) * span
        span *= width
    codes, _ = pd.factorize(packed, sort=False)
    codes = codes.astype(np.int64)
    prev_max = np.maximum.accumulate(np.concatenate([[-1], codes[:-1]]))
    return codes, np.flatnonzero(codes > prev_max)


def _group_by_sort(keys: tuple[np.ndarray, ...]) -> tuple[np.ndarray, np.ndarray]:
    stacked = np.stack([np.asarray(k, np.int64) for k in keys], axis=1)
    _, first, group = np.unique(stacked, axis=0, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.shape[0])
    return rank[group.ravel()], first[order]
