"""From instructions to obligations: gross, or bilaterally netted (the BIS DvP models 1-3)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tradeflow.back import _kernels
from tradeflow.schema import OBLIGATION_DT, SETTLEMENT_DT, SettlementStatus

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
    cash_amount = np.ascontiguousarray(ins["cash_amount"], np.int64)
    if model == "net_all" and n:
        packed = np.empty(n, np.int64)
        if ins.dtype == SETTLEMENT_DT and _kernels.obligation_keys_nb(ins, packed):  # one pass over the records
            codes = pd.factorize(packed, sort=False)[0].astype(np.int64)
        else:
            codes = _factorize(ins["book"], ins["counterparty"], ins["instrument"], ins["settle_date"],
                               ins["trade_date"])
    else:
        codes = np.arange(n, dtype=np.int64)
    rep, count, qty, cash, group = (np.empty(n, np.int64) for _ in range(5))
    m = _kernels.net_groups_nb(codes, signed_qty, cash_amount, rep, count, qty, cash, group)
    rep = rep[:m]
    out = np.zeros(m, dtype=OBLIGATION_DT)
    out["obligation_id"] = first_obligation_id + np.arange(m)
    for f in ("book", "counterparty", "instrument", "currency", "trade_date", "settle_date"):
        out[f] = ins[f][rep]
    out["n_instructions"] = count[:m]
    out["qty"] = qty[:m]
    out["cash"] = cash[:m]
    out["status"] = SettlementStatus.PENDING
    out["settled_date"] = -1
    return out, first_obligation_id + group


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
    codes = _factorize(*keys)
    group, first = np.empty(n, np.int64), np.empty(n, np.int64)
    count, zeros = np.empty(n, np.int64), np.zeros(n, np.int64)
    m = _kernels.net_groups_nb(codes, zeros, zeros, first, count, np.empty(n, np.int64), np.empty(n, np.int64), group)
    return group, first[:m]


def _factorize(*keys: np.ndarray) -> np.ndarray:
    """A code per row, equal for equal ``keys`` (int64, in no particular order)."""
    stacked = np.empty((keys[0].shape[0], len(keys)), np.int64)
    for j, k in enumerate(keys):
        stacked[:, j] = k
    packed = np.empty(stacked.shape[0], np.int64)
    if _kernels.pack_keys_nb(stacked, packed):  # one int64 per row, hash-factorized: O(n)
        return pd.factorize(packed, sort=False)[0].astype(np.int64)
    return _group_by_sort(keys)[0]  # too wide to pack: a lexicographic sort


def _group_by_sort(keys: tuple[np.ndarray, ...]) -> tuple[np.ndarray, np.ndarray]:
    stacked = np.stack([np.asarray(k, np.int64) for k in keys], axis=1)
    _, first, group = np.unique(stacked, axis=0, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.shape[0])
    return rank[group.ravel()], first[order]
