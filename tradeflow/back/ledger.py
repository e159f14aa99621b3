"""The double-entry ledger: exact int64 postings that balance to zero per asset.

Convention (ownership vs location)
----------------------------------
*Ownership* accounts say what a book owns: ``SECURITIES`` (book x instrument) and
``CASH`` (book x currency), posted at trade date, so positions and P&L are trade-date.
*Clearing* accounts ``CPTY_SECURITIES`` / ``CPTY_CASH`` (counterparty x asset) hold what
is still to settle with each counterparty. *Location* accounts ``CUSTODY`` (book x
instrument, at the custodian) and ``NOSTRO`` (book x currency, at the nostro bank) carry
the **negative** of what is held there, so that every transaction sums to zero per asset:

* trade date (``TRADE``): ``SECURITIES +s q``, ``CPTY_SECURITIES -s q``, ``CASH -s p``,
  ``CPTY_CASH +s p``, and the fee ``CASH -f``, ``FEES +f``;
* settlement (``SETTLEMENT``, for what actually moved): ``CPTY_SECURITIES +q``,
  ``CUSTODY -q``, ``CPTY_CASH -c``, ``NOSTRO +c`` (``q`` received, ``c`` paid);
* a settlement-fail penalty (``PENALTY``): ``PENALTIES +x``, ``CASH -x`` (``x`` > 0 paid).
* a mandatory buy-in (``BUY_IN``) closes a failed obligation; see :func:`post_buy_ins`.

Fees and penalties are invoiced, not moved through the nostro. Once everything has
settled, ``CPTY_*`` balances are zero and ``-CUSTODY`` equals ``SECURITIES``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from tradeflow.back import nb as _kernels
from tradeflow.back.netting import group_in_order
from tradeflow.core.records import concat_records, take_records
from tradeflow.schema import LEDGER_DT, NS_PER_DAY, AccountKind, SettlementStatus, TxnType

__all__ = ["book_fills", "post_settlements", "post_penalties", "post_buy_ins", "trial_balance", "balances"]

SETTLEMENT_TS_OFFSET = 12 * 3600 * 1_000_000_000  # settlement batches post at 12:00 UTC on the value date


def book_fills(fills: np.ndarray, instrument_ccy: np.ndarray, minor_scale: np.ndarray, *,
               first_txn_id: int = 0, first_posting_id: int = 0, value_date: int | None = None,
               multiplier: np.ndarray | None = None) -> np.ndarray:
    """Trade-date ledger transactions, one per fill or booking (``txn_id`` = ``first_txn_id`` + position).

    Each transaction posts securities (book vs counterparty) and principal cash
    (book vs counterparty) in opposite directions, plus the fee (book cash vs the
    book's fee expense) when it is not zero. Cash is in int64 minor units, so every
    transaction sums to exactly zero per asset.

    Parameters
    ----------
    fills : ndarray of FILL_DT or BOOKING_DT
    instrument_ccy : int ndarray of shape (n_instruments,)
        Currency id of each instrument.
    minor_scale : float64 ndarray of shape (n_instruments,)
        10 ** minor digits of each instrument's currency.
    first_txn_id, first_posting_id : int, default=0
        Where the ids start (they run on across the days of a run).
    value_date : int, optional
        The trade date (days since epoch); defaults to each posting's ``ts`` date.
    multiplier : float64 ndarray of shape (n_instruments,), optional
        Contract multiplier of each instrument (default 1): the principal is
        ``qty x price x multiplier``; fees are taken as given.
    """
    inst = fills["instrument"]
    if fills.shape[0] and (inst.min() < 0 or inst.max() >= np.shape(minor_scale)[0]):
        raise ValueError(f"The 'fills' parameter of book_fills has instrument ids outside the "
                         f"{np.shape(minor_scale)[0]} instruments: {inst.min()}..{inst.max()}.")
    mult = _unit_multiplier(multiplier, minor_scale, "book_fills")
    recs = np.ascontiguousarray(fills)
    out = np.zeros(6 * fills.shape[0], dtype=LEDGER_DT)
    n = _kernels.book_fills_nb(recs, mult, np.ascontiguousarray(minor_scale, np.float64),
                               np.ascontiguousarray(instrument_ccy, np.int32), np.int64(first_txn_id),
                               np.int64(first_posting_id), np.int64(-1 if value_date is None else value_date), out)
    return out[:n]


def _unit_multiplier(multiplier: np.ndarray | None, like: np.ndarray, where: str) -> np.ndarray:
    """The instruments' contract multipliers (ones when not given), checked finite and positive."""
    if multiplier is None:
        return np.ones(np.shape(like), np.float64)
    m = np.asarray(multiplier, np.float64)
    if m.shape != np.shape(like) or not np.all(np.isfinite(m) & (m > 0)):
        raise ValueError(f"The 'multiplier' parameter of {where} must be finite positive floats of shape "
                         f"{np.shape(like)}. Got {multiplier!r} instead.")
    return m


def _postings(n: int, txn, fill_id, ts, kind, owner, is_cash, asset, amount, txn_type, value_date, instr) -> np.ndarray:
    out = np.zeros(n, dtype=LEDGER_DT)
    out["txn_id"], out["fill_id"], out["ts"], out["account_kind"] = txn, fill_id, ts, kind
    out["owner"], out["asset_is_cash"], out["asset"], out["amount"] = owner, is_cash, asset, amount
    out["txn_type"], out["value_date"], out["instruction_id"] = txn_type, value_date, instr
    return out


def post_settlements(events: np.ndarray, obligations: np.ndarray, fill_of_obligation: np.ndarray, *,
                     net_cash: bool, as_of: int, first_txn_id: int, first_posting_id: int) -> np.ndarray:
    """Settlement-date postings of what moved on ``as_of`` (see the module's convention).

    One transaction per obligation that moved; with ``net_cash`` (BIS model 2) one per
    book x counterparty x currency, holding each obligation's securities legs and one
    net cash leg each side.

    Parameters
    ----------
    events : ndarray of SETTLEMENT_EVENT_DT (the day's)
    obligations : ndarray of OBLIGATION_DT, ``obligation_id`` = first id + position
    fill_of_obligation : int64 ndarray of shape (n_obligations,)
        The fill an obligation settles, or -1 when it nets several.
    net_cash : bool
    as_of, first_txn_id, first_posting_id : int
    """
    # whole records as bytes (structured fancy indexing copies field by field); buy-ins: see post_buy_ins
    moved = ((events["qty_settled"] != 0) | (events["cash_settled"] != 0)) \
        & (events["status"] != SettlementStatus.BOUGHT_IN)
    ev = take_records(events, np.flatnonzero(moved))
    if ev.shape[0] == 0:
        return np.zeros(0, dtype=LEDGER_DT)
    pos = ev["obligation_id"] - obligations["obligation_id"][0]
    o = take_records(obligations, pos)
    fid = fill_of_obligation[pos]
    if net_cash:
        group, rep = group_in_order(o["book"], o["counterparty"], o["currency"])
    else:
        group = np.arange(ev.shape[0])
    txn = first_txn_id + group
    ts = as_of * NS_PER_DAY + SETTLEMENT_TS_OFFSET
    q, c = ev["qty_settled"], ev["cash_settled"]
    m = q != 0
    parts = [
        _postings(int(m.sum()), txn[m], fid[m], ts, AccountKind.CPTY_SECURITIES, o["counterparty"][m], False,
                  o["instrument"][m], q[m], TxnType.SETTLEMENT, as_of, ev["obligation_id"][m]),
        _postings(int(m.sum()), txn[m], fid[m], ts, AccountKind.CUSTODY, o["book"][m], False,
                  o["instrument"][m], -q[m], TxnType.SETTLEMENT, as_of, ev["obligation_id"][m]),
    ]
    if net_cash:
        n_groups = int(group.max()) + 1
        net = np.zeros(n_groups, np.int64)
        np.add.at(net, group, c)
        g = np.flatnonzero(net != 0)
        cfid = np.where(np.bincount(group, minlength=n_groups)[g] == 1, fid[rep[g]], -1)
        cash_txn, cash_amt, ci, cinstr = first_txn_id + g, net[g], rep[g], np.full(g.shape[0], -1)
    else:
        g = np.flatnonzero(c != 0)
        cfid, cash_txn, cash_amt, ci, cinstr = fid[g], txn[g], c[g], g, ev["obligation_id"][g]
    parts += [
        _postings(g.shape[0], cash_txn, cfid, ts, AccountKind.CPTY_CASH, o["counterparty"][ci], True,
                  o["currency"][ci], -cash_amt, TxnType.SETTLEMENT, as_of, cinstr),
        _postings(g.shape[0], cash_txn, cfid, ts, AccountKind.NOSTRO, o["book"][ci], True,
                  o["currency"][ci], cash_amt, TxnType.SETTLEMENT, as_of, cinstr),
    ]
    out = concat_records(parts, LEDGER_DT)
    out = take_records(out, np.argsort(out["txn_id"], kind="stable"))
    out["posting_id"] = first_posting_id + np.arange(out.shape[0])
    return out


def post_penalties(events: np.ndarray, obligations: np.ndarray, fill_of_obligation: np.ndarray, *,
                   as_of: int, first_txn_id: int, first_posting_id: int) -> np.ndarray:
    """One transaction per penalty charged (``PENALTIES +x``, ``CASH -x``) at the end of ``as_of``."""
    ev = events[events["penalty"] != 0]
    n = ev.shape[0]
    pos = ev["obligation_id"] - (obligations["obligation_id"][0] if len(obligations) else 0)
    o = obligations[pos]
    txn = first_txn_id + np.arange(n)
    ts = (as_of + 1) * NS_PER_DAY - 1
    a = _postings(n, txn, fill_of_obligation[pos], ts, AccountKind.PENALTIES, o["book"], True, o["currency"],
                  ev["penalty"], TxnType.PENALTY, as_of, ev["obligation_id"])
    b = _postings(n, txn, fill_of_obligation[pos], ts, AccountKind.CASH, o["book"], True, o["currency"],
                  -ev["penalty"], TxnType.PENALTY, as_of, ev["obligation_id"])
    out = np.empty(2 * n, dtype=LEDGER_DT)
    out[0::2], out[1::2] = a, b
    out["posting_id"] = first_posting_id + np.arange(2 * n)
    return out


def post_buy_ins(events: np.ndarray, obligations: np.ndarray, fill_of_obligation: np.ndarray, *,
                 as_of: int, first_txn_id: int, first_posting_id: int) -> np.ndarray:
    """One ``BUY_IN`` transaction per obligation bought in on ``as_of`` (CSDR mandatory buy-in).

    With ``q``, ``c`` the securities and cash still open (the book's side: ``q`` > 0 due to
    the book, ``c`` > 0 the book pays), ``B`` the buy-in cost and ``D`` the price difference
    (> 0 paid by the book):

    * the counterparty failed (``q`` > 0), the book bought in: the agent delivers,
      ``CPTY_SECURITIES +q``, ``CUSTODY -q``; the book pays ``B`` instead of ``c``,
      ``CPTY_CASH -c``, ``NOSTRO +B``, ``CASH +(c - B)``; the counterparty pays ``-D``:
      ``CASH -D``, ``BUY_IN +D``;
    * the book failed (``q`` < 0): the trade is closed undelivered, ``CPTY_SECURITIES +q``,
      ``SECURITIES -q``, ``CPTY_CASH -c``, ``CASH +c``; the book pays ``D``: ``CASH -D``,
      ``BUY_IN +D``.

    Every transaction balances per asset, and the clearing accounts of the obligation end at zero.
    """
    ev = events[events["status"] == SettlementStatus.BOUGHT_IN]
    n = ev.shape[0]
    if n == 0:
        return np.zeros(0, dtype=LEDGER_DT)
    pos = ev["obligation_id"] - obligations["obligation_id"][0]
    o = obligations[pos]
    fid = fill_of_obligation[pos]
    ts = as_of * NS_PER_DAY + SETTLEMENT_TS_OFFSET
    parts = []
    for k in range(n):  # a handful a day at most
        x = o[k]
        q = int(x["qty"] - (x["settled_qty"] - ev["qty_settled"][k]))  # open before the buy-in
        c = int(x["cash"] - (x["settled_cash"] - ev["cash_settled"][k]))
        cost, comp = int(ev["buy_in_cost"][k]), int(ev["buy_in_compensation"][k])
        b, cp, i, cy = int(x["book"]), int(x["counterparty"]), int(x["instrument"]), int(x["currency"])
        legs = [(AccountKind.CPTY_SECURITIES, cp, False, i, q),
                (AccountKind.CUSTODY if q > 0 else AccountKind.SECURITIES, b, False, i, -q),
                (AccountKind.CPTY_CASH, cp, True, cy, -c)]
        legs += [(AccountKind.NOSTRO, b, True, cy, cost), (AccountKind.CASH, b, True, cy, c - cost)] if q > 0 else \
            [(AccountKind.CASH, b, True, cy, c)]
        if comp:
            legs += [(AccountKind.CASH, b, True, cy, -comp), (AccountKind.BUY_IN, b, True, cy, comp)]
        legs = [leg for leg in legs if leg[4] != 0]
        kinds, owners, cash, assets, amounts = (np.array(z) for z in zip(*legs, strict=True))
        parts.append(_postings(len(legs), first_txn_id + k, fid[k], ts, kinds, owners, cash, assets, amounts,
                               TxnType.BUY_IN, as_of, ev["obligation_id"][k]))
    out = np.concatenate(parts)
    out["posting_id"] = first_posting_id + np.arange(out.shape[0])
    return out


def _upto(ledger: np.ndarray, as_of_ts: int | None, as_of_date: int | None) -> np.ndarray:
    rows = ledger
    if as_of_ts is not None:
        rows = rows[rows["ts"] <= as_of_ts]
    if as_of_date is not None:
        rows = rows[rows["value_date"] <= as_of_date]
    return rows


def balances(ledger: np.ndarray, *, as_of_ts: int | None = None, as_of_date: int | None = None) -> pd.DataFrame:
    """Balance of every (account kind, owner, asset) from the postings up to ``as_of_ts`` / ``as_of_date``.

    Parameters
    ----------
    ledger : ndarray of LEDGER_DT
    as_of_ts : int, optional
        Only postings with ``ts`` at or before this time (ns since epoch).
    as_of_date : int, optional
        Only postings with ``value_date`` on or before this day (days since epoch).
    """
    rows = _upto(ledger, as_of_ts, as_of_date)
    df = pd.DataFrame({k: rows[k] for k in ("account_kind", "owner", "asset_is_cash", "asset", "amount")})
    return df.groupby(["account_kind", "owner", "asset_is_cash", "asset"], sort=True, as_index=False)[
        "amount"].sum()


def trial_balance(ledger: np.ndarray | Sequence[np.ndarray], *, as_of_date: int | None = None,
                  by_account: bool = False) -> pd.DataFrame:
    """The trial balance: every row (per asset) sums to zero when the books balance.

    Parameters
    ----------
    ledger : ndarray of LEDGER_DT, or a sequence of them
        The postings, whole or in chunks (e.g. one per day: no need to concatenate).
    as_of_date : int, optional
        Balances as of the end of this day (days since epoch); default: everything.
    by_account : bool, default=False
        ``False``: one row per asset with the sum of all its accounts (zero when balanced).
        ``True``: one row per account with ``debit`` (balance > 0) and ``credit`` columns.
    """
    parts = [ledger] if isinstance(ledger, np.ndarray) else list(ledger)
    parts = [_upto(p, None, as_of_date) for p in parts]
    if by_account:
        bal = balances(parts[0] if len(parts) == 1 else np.concatenate(parts))
        bal = bal[bal["amount"] != 0].reset_index(drop=True)
        bal["debit"] = bal["amount"].clip(lower=0)
        bal["credit"] = (-bal["amount"]).clip(lower=0)
        return bal
    return asset_totals(*parts)


def asset_totals(*ledgers: np.ndarray) -> pd.DataFrame:
    """Sum of all postings per asset (``asset_is_cash``, ``asset``, ``amount``), exact, for assets posted to."""
    n_sec = 4096  # room for the usual asset ids: one pass; else size to the largest id and sum again
    for attempt in range(2):
        tot_sec, tot_cash = np.zeros(n_sec, np.int64), np.zeros(n_sec, np.int64)
        cnt_sec, cnt_cash = np.zeros(n_sec, np.int64), np.zeros(n_sec, np.int64)
        bad = sum(_kernels.asset_totals_nb(x, tot_sec, tot_cash, cnt_sec, cnt_cash) for x in ledgers)
        if not bad or attempt:
            break
        n_sec = max([int(_kernels.ledger_stats_nb(x)[0]) + 1 for x in ledgers if x.shape[0]], default=0)
    if bad:  # only negative ids can miss: the arrays span the largest id
        raise ValueError(f"The 'ledger' parameter of trial_balance has {bad} postings with a negative asset id.")
    cash_ids, sec_ids = np.flatnonzero(cnt_cash), np.flatnonzero(cnt_sec)
    return pd.DataFrame({
        "asset_is_cash": np.r_[np.zeros(sec_ids.shape[0], bool), np.ones(cash_ids.shape[0], bool)],
        "asset": np.r_[sec_ids, cash_ids].astype(np.int32),
        "amount": np.r_[tot_sec[sec_ids], tot_cash[cash_ids]],
    })
