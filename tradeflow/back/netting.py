"""From instructions to obligations: gross, or bilaterally netted (the BIS DvP models 1-3)."""

from __future__ import annotations

import numpy as np

from tradeflow.schema import OBLIGATION_DT, SettlementStatus

__all__ = ["net_obligations", "NETTING_MODELS"]

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
        keys = np.stack([ins["book"].astype(np.int64), ins["counterparty"], ins["instrument"], ins["settle_date"],
                         ins["trade_date"]], axis=1)
        uniq, first, group = np.unique(keys, axis=0, return_index=True, return_inverse=True)
        group = group.ravel()
        # obligations in order of their first instruction, so ids follow the flow
        order = np.argsort(first, kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(order.shape[0])
        group = rank[group]
        rep = first[order]
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
