"""The back office on a day of trades: instructions, netting, trade-date ledger, a settlement run with
fails, settlement postings, trial balance and trade-level reconciliation, against the same work in pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmarks._harness import Bench, register
from tradeflow.back import (
    book_fills,
    net_obligations,
    post_settlements,
    reconcile,
    settle_day,
    settlement_instructions,
    trial_balance,
)
from tradeflow.back.settlement import N_SETTLEMENT_DRAWS
from tradeflow.config import MarketConfig, SettlementConfig
from tradeflow.market import SettlementCalendar, instrument_table
from tradeflow.market.calendar import SettlementCycles
from tradeflow.schema import FILL_DT, NS_PER_DAY, POSITION_DT

TRADE_DATE = np.datetime64("2026-11-25")


def _fills(n: int, n_inst: int, n_books: int = 8, n_cpty: int = 20, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    f = np.zeros(n, dtype=FILL_DT)
    f["fill_id"] = np.arange(n)
    f["ts"] = np.sort(TRADE_DATE.astype(np.int64) * NS_PER_DAY + rng.integers(14 * 3600, 21 * 3600, n) * 10**9)
    f["book"] = rng.integers(0, n_books, n)
    f["instrument"] = rng.integers(0, n_inst, n)
    f["counterparty"] = rng.integers(0, n_cpty, n)
    f["side"] = rng.choice(np.array([-1, 1], np.int8), n)
    f["qty"] = rng.integers(1, 2_000, n)
    f["price"] = np.round(rng.uniform(20, 700, n), 2)
    f["fee"] = np.round(f["qty"] * f["price"] * 0.3e-4, 2)
    return f


class _Setup:
    def __init__(self, n: int) -> None:
        mcfg = MarketConfig()
        self.inst = instrument_table(mcfg)
        self.currencies = mcfg.currencies
        self.calendar = SettlementCalendar(mcfg.currencies, extra=mcfg.holidays)
        self.cycles = SettlementCycles(SettlementConfig().cycles)
        self.n_inst = len(self.inst)
        self.inst_ccy = self.inst["currency_id"].to_numpy(np.int64)
        self.scale = np.full(self.n_inst, 100.0)
        self.fills = _fills(n, self.n_inst)
        self.marks = self.inst["price"].to_numpy(np.float64)
        self.draws = np.random.default_rng(1).random((n, N_SETTLEMENT_DRAWS))
        self.fx = np.ones(n)


def _tradeflow(s: _Setup) -> tuple[int, int]:
    """Book, instruct, net (BIS model 3), settle T+n with 2% fails, post, trial-balance and reconcile."""
    f = s.fills
    instr = settlement_instructions(f, s.inst, s.currencies, s.calendar, TRADE_DATE, s.scale, cycles=s.cycles)
    obl, _ = net_obligations(instr, "net_all")
    trade = book_fills(f, s.inst_ccy, s.scale, value_date=int(TRADE_DATE.astype(np.int64)))
    due = int(obl["settle_date"].max())
    n = obl.shape[0]
    ev = settle_day(obl, due, fail_rate=np.full(n, 0.02), cause_weights=np.array([0.6, 0.25, 0.15]),
                    partial_settlement=True, partial_share=0.5, unmatched=np.zeros(n, bool),
                    penalty_bps=np.ones(n), close_price=s.marks[obl["instrument"]], minor_scale=np.full(n, 100.0),
                    draws=s.draws[:n])
    settled = post_settlements(ev, obl, np.full(n, -1), net_cash=False, as_of=due, first_txn_id=len(f),
                               first_posting_id=trade.shape[0])
    tb = trial_balance([trade, settled])  # the ledger in chunks, as a run keeps it
    assert (tb["amount"] == 0).all()
    pos = np.zeros(0, dtype=POSITION_DT)
    breaks = reconcile(f, pos, trade, instr, n_books=8, instrument_ccy=s.inst_ccy,
                       minor_scale_ccy=np.full(len(s.currencies), 100.0), marks=s.marks, bookings=None)
    return trade.shape[0] + settled.shape[0], breaks.shape[0]


def _pandas(s: _Setup) -> tuple[int, int]:
    """The same steps as a quant would write them in pandas."""
    f = pd.DataFrame({k: s.fills[k] for k in s.fills.dtype.names})
    inst = s.inst.set_index("instrument")
    td = TRADE_DATE
    settle_by_inst = {i: np.busday_offset(td, int(row.settlement_lag if row.settlement_lag >= 0
                                                  else s.cycles.lag(row.currency, td)[0]),
                                          roll="forward", holidays=s.calendar.holidays([row.currency]))
                      for i, row in inst.iterrows()}
    f["settle_date"] = f["instrument"].map(settle_by_inst)
    f["currency"] = f["instrument"].map(inst["currency_id"])
    f["signed"] = f["side"].astype(np.int64) * f["qty"]
    f["cash"] = f["side"] * np.rint(f["qty"] * f["price"] * 100).astype(np.int64)
    f["fee_minor"] = np.rint(f["fee"] * 100).astype(np.int64)
    obl = f.groupby(["book", "counterparty", "instrument", "settle_date"], sort=False).agg(
        qty=("signed", "sum"), cash=("cash", "sum"), currency=("currency", "first")).reset_index()
    # trade-date postings: securities and cash, book vs counterparty, and the fee
    legs = [
        pd.DataFrame({"txn": f["fill_id"], "kind": 0, "owner": f["book"], "cash": False, "asset": f["instrument"],
                      "amount": f["signed"]}),
        pd.DataFrame({"txn": f["fill_id"], "kind": 2, "owner": f["counterparty"], "cash": False,
                      "asset": f["instrument"], "amount": -f["signed"]}),
        pd.DataFrame({"txn": f["fill_id"], "kind": 1, "owner": f["book"], "cash": True, "asset": f["currency"],
                      "amount": -f["cash"] - f["fee_minor"]}),
        pd.DataFrame({"txn": f["fill_id"], "kind": 3, "owner": f["counterparty"], "cash": True,
                      "asset": f["currency"], "amount": f["cash"]}),
        pd.DataFrame({"txn": f["fill_id"], "kind": 4, "owner": f["book"], "cash": True, "asset": f["currency"],
                      "amount": f["fee_minor"]}),
    ]
    # settlement: 2% fail; a lack of securities is the counterparty's (the books borrow freely), and half of
    # those deliver part
    u = s.draws[: len(obl)]
    lack = u[:, 1] < 0.6
    fail = (u[:, 0] < 0.02) & ~(lack & (obl["qty"] <= 0))
    part = fail & lack & (u[:, 2] < 0.5) & (obl["qty"].abs() >= 2)
    k = np.where(part, 1 + np.floor(u[:, 3] * (obl["qty"].abs() - 1)), 0).astype(np.int64)
    q = np.where(~fail, obl["qty"], np.sign(obl["qty"]) * k)
    c = np.where(~fail, obl["cash"], np.where(part, obl["cash"] * k // obl["qty"].abs().clip(lower=1), 0))
    txn = len(f) + np.arange(len(obl))
    legs += [
        pd.DataFrame({"txn": txn, "kind": 2, "owner": obl["counterparty"], "cash": False, "asset": obl["instrument"],
                      "amount": q}),
        pd.DataFrame({"txn": txn, "kind": 5, "owner": obl["book"], "cash": False, "asset": obl["instrument"],
                      "amount": -q}),
        pd.DataFrame({"txn": txn, "kind": 3, "owner": obl["counterparty"], "cash": True, "asset": obl["currency"],
                      "amount": -c}),
        pd.DataFrame({"txn": txn, "kind": 6, "owner": obl["book"], "cash": True, "asset": obl["currency"],
                      "amount": c}),
    ]
    ledger = pd.concat(legs, ignore_index=True)
    ledger = ledger[ledger["amount"] != 0]
    tb = ledger.groupby(["cash", "asset"])["amount"].sum()
    assert (tb == 0).all()
    per_txn = ledger.groupby(["txn", "cash", "asset"])["amount"].sum()
    n_unbalanced = int((per_txn != 0).sum())
    booked = ledger.loc[ledger["txn"] < len(f), "txn"].drop_duplicates()
    missing = int((~f["fill_id"].isin(booked)).sum())
    return len(ledger), n_unbalanced + missing


@register("back.settle_day", unit="trades")
def settle_trades(b: Bench) -> None:
    n = b.size(quick=50_000, full=1_000_000)
    s = _Setup(n)
    b.param(trades=n, instruments=s.n_inst, books=8, counterparties=20, netting="net_all", fail_rate=0.02)
    b.target("tradeflow back office (instruct, net, book, settle, post, trial balance, recon)", lambda: _tradeflow(s),
             n=n)
    b.baseline("pandas (same steps: map, groupby-net, concat legs, groupby balances)", lambda: _pandas(s), n=n)
