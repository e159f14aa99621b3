"""Settlement fail rates at the intended settlement date (ISD) against the configured rates.

What the rate means (``SettlementConfig.fail_rates``): the probability that an instruction due
today fails (in whole or in part) on that attempt for a street cause, per settlement currency.
Measured at the ISD over many instructions -- receipts and the book's own deliveries alike --
the share that fail must be the configured rate within a binomial confidence interval. (The
book's own custody shortfalls, limited borrow, and unresolved confirmations fail on top of it;
the defaults have neither.)

The measurement is written from that definition in plain Python, not from the kernels: an
instruction failed at its ISD when its obligation's status at the end of its settlement date is
FAILED or PARTIALLY_SETTLED.
"""

import math

import numpy as np
import pytest

import tradeflow
from tests.conftest import small_config
from tradeflow.back.settlement import N_SETTLEMENT_DRAWS, settle_day
from tradeflow.config import SettlementConfig
from tradeflow.schema import OBLIGATION_DT, SettlementStatus

FAILED = (int(SettlementStatus.FAILED), int(SettlementStatus.PARTIALLY_SETTLED))
Z = 4.0  # a 4-sigma binomial interval: the checks below fail by chance well under once in 10^4 runs


def fail_rate_at_isd(instr_settle_date, instr_obligation, events_as_of, events_obligation, events_status):
    """Share of instructions whose obligation is FAILED/PARTIALLY_SETTLED at the end of their settlement date,
    over the instructions whose settlement date has an event; plain Python."""
    status = {(int(a), int(o)): int(s) for a, o, s in zip(events_as_of, events_obligation, events_status,
                                                          strict=True)}
    n = failed = 0
    for d, o in zip(instr_settle_date, instr_obligation, strict=True):
        s = status.get((int(d), int(o)))
        if s is None:
            continue  # due after the run
        n += 1
        failed += s in FAILED
    return failed, n


def within(failed, n, p):
    return abs(failed / n - p) <= Z * math.sqrt(p * (1 - p) / n)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_settle_day_fails_at_the_configured_rate_on_receipts_and_deliveries(seed):
    rng = np.random.default_rng(seed)
    n = 40_000
    ob = np.zeros(n, OBLIGATION_DT)
    ob["obligation_id"] = np.arange(n)
    ob["instrument"] = np.arange(n) % 4
    ob["currency"] = ob["instrument"] % 2  # 0: "US" at 2%, 1: "EU" at 5.5%
    ob["qty"] = np.where(np.arange(n) % 8 < 4, 1, -1) * rng.integers(1, 1_000, n)  # receipts and deliveries
    ob["cash"] = ob["qty"] * 100
    ob["trade_date"], ob["settle_date"] = 99, 100
    ob["settled_date"] = -1
    rates = np.array([0.02, 0.055])
    ev = settle_day(ob, 100, fail_rate=rates[ob["currency"]], cause_weights=SettlementConfig().fail_cause_weights(),
                    partial_settlement=True, partial_share=0.5, unmatched=np.zeros(n, bool),
                    penalty_bps=np.zeros(n), close_price=np.full(n, 100.0), minor_scale=np.full(n, 100.0),
                    draws=rng.random((n, N_SETTLEMENT_DRAWS)))
    for c, p in enumerate(rates):
        for side in (1, -1):
            rows = (ob["currency"] == c) & (np.sign(ob["qty"]) == side)
            failed, m = fail_rate_at_isd(ob["settle_date"][rows], ob["obligation_id"][rows], ev["as_of"],
                                         ev["obligation_id"], ev["status"])
            assert m == rows.sum() == n // 4
            assert within(failed, m, p), (c, side, failed / m, p)


def test_a_run_fails_at_the_configured_rate_per_market():
    rates = {"USD": 0.4, "EUR": 0.25}  # high rates: a small run measures them to a few points
    cfg = small_config(2_500, days=3, settlement={"fail_rates": rates})
    run = tradeflow.simulate(cfg, seed=6, progress=False)
    ins, ev = run.records["settlements"], run.records["settlement_events"]
    for c, ccy in enumerate(run.market.currencies):
        rows = ins["currency"] == c
        failed, n = fail_rate_at_isd(ins["settle_date"][rows], ins["obligation_id"][rows], ev["as_of"],
                                     ev["obligation_id"], ev["status"])
        assert n > 300, (ccy, n)
        assert within(failed, n, rates[ccy]), (ccy, failed / n, rates[ccy], n)
