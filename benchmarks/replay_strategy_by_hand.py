"""Replay + strategy events/s: 2M LOBSTER-like events as AAPL's venue over one desk-day (small flow)."""
from dataclasses import replace

import numpy as np
from numba import njit

import tradeflow
from benchmarks.bench_replay import _stream
from tradeflow.config import SimulationConfig
from tradeflow.front.replay import ReplayData, ReplayStream, replay_mids
from tradeflow.strategies import NumbaStrategy, avellaneda_stoikov

n = 2_000_000
# the synthetic book's touch is ~11% wide: a 20% collar lets the market maker's quotes (at the touch) through
cfg = SimulationConfig.from_dict({"flow": {"orders_per_day": 2_000}, "execution": {"book_events_per_second": 2.0},
                                  "pretrade": {"price_collar_bps": 2_000.0}})
st = _stream(n)
mid = float(np.median(st.price)) / 10_000
inst = tuple(replace(i, price=mid) if i.symbol == "AAPL" else i for i in cfg.market.instruments)
cfg = replace(cfg, market=replace(cfg.market, instruments=inst))
t0 = tradeflow.simulate(cfg, seed=0).market.times[0]
st = ReplayStream(symbol="AAPL", ts=st.ts + int(t0), kind=st.kind, side=st.side, price=st.price, qty=st.qty,
                  tick=st.tick, strict=False)
data = ReplayData(streams=(st,))
# the desk marks AAPL at the recorded mids (else its price collar refuses quotes around the recorded book)
base = tradeflow.simulate(cfg, seed=0)
prices = base.market.prices_frame()
rec = replay_mids(data, base.market.times).reindex(prices.index)
prices["AAPL"] = rec["AAPL"].ffill().bfill().fillna(prices["AAPL"]).to_numpy()
def mm():
    s = avellaneda_stoikov(instrument=0, gamma=1e-3, kappa=1e4, sigma=0.02, qty=100, tick=st.tick / 10_000,
                           every=1, latency_us=10.0)
    s.capacity = 50_000  # room for its 23,400 orders: the session runs once
    return s


@njit
def _silent(ctx, state, kind, t, ref):
    state[0] += 1


for label, kw in (("plain replay (venue, then desk)", {}),
                  ("replay + silent strategy every step", {"strategy": "silent"}),
                  ("replay + market maker every step", {"strategy": None})):
    best = []
    for _rep in range(3):
        if "strategy" in kw:
            silent = kw["strategy"] == "silent" or isinstance(kw["strategy"], NumbaStrategy) and kw[
                "strategy"].on_event is _silent
            kw = {"strategy": NumbaStrategy(_silent, np.zeros(1), every=1) if silent else mm()}
        r = tradeflow.simulate(cfg, seed=0, replay=data, prices=prices, **kw)
        best.append(r.timings["front+middle"])
    o = r.records["orders"]
    desk = o["origin"] == int(tradeflow.schema.OrderOrigin.DESK)
    nd = int(desk.sum())
    refused = int((o["status"][desk] == int(tradeflow.schema.OrderStatus.REJECTED)).sum())
    print(f"{label}: front+middle {min(best):.3f} s (best of 3 warm), {n / min(best) / 1e6:.2f}M events/s, "
          f"desk orders {nd} ({refused} rejected), fills {len(r.records['fills'])}")
