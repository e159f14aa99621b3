"""One engine core: the desk loop and the streaming engine run the same per-order and per-fill functions.

Fed the same events, the desk loop (:func:`tradeflow.middle.nb.desk_loop_nb`, what ``simulate()``
runs) and the engine's batch kernels (:func:`check_orders_nb`, :func:`apply_fills_nb`, what
``RiskEngine`` runs) must agree bit for bit: decisions, positions, P&L, scenario P&L, VaR/ES tails
and limit events. The shared functions themselves are checked against the plain-Python references
of ``tests/middle/test_desk.py`` and ``tests/middle/test_engine.py``.
"""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tradeflow.middle import nb
from tradeflow.middle.engine import ENGINE_ORDER_DT
from tradeflow.schema import BREACH_DT, EXECUTION_DT, FILL_DT, ORDER_DT, ORDER_EVENT_DT, PNL_DT, RISK_DT, OrderStatus

N_BOOKS, N_INST, N_SCEN = 2, 3, 40
MARKS = np.array([100.0, 50.0, 20.0])
VAR_LEVEL, ES_LEVEL = 0.95, 0.9


def _controls(n_clients=2, n_traders=2):
    return nb.Controls(collar_bps=300.0, max_order_qty=2_000, max_order_notional=150_000.0,
                       max_position=np.full(N_INST, 3_000, np.int64), max_gross=5_000, credit_limit=400_000.0,
                       dup_window_ns=0, book_state=np.zeros(N_BOOKS, np.int8), kill=np.zeros(1, np.int8),
                       credit_used=np.zeros(n_clients), thr_ring=np.full((n_traders, 50), -1, np.int64),
                       thr_head=np.zeros(n_traders, np.int64), dup_ts=np.full((n_clients, N_INST, 2), -1, np.int64),
                       dup_qty=np.zeros((n_clients, N_INST, 2), np.int64), dup_px=np.zeros((n_clients, N_INST, 2)))


def _positions(fifo):
    shape = (N_BOOKS, N_INST)
    return nb.Positions(pos=np.zeros(shape, np.int64), avg=np.zeros(shape), realized=np.zeros(shape),
                        fees=np.zeros(shape), n_fills=np.zeros(shape, np.int64),
                        working_buy=np.zeros(shape, np.int64), working_sell=np.zeros(shape, np.int64), fifo=fifo,
                        lot_qty=np.zeros(4096, np.int64), lot_px=np.zeros(4096), lot_next=np.full(4096, -1, np.int64),
                        lot_head=np.full(shape, -1, np.int64), lot_tail=np.full(shape, -1, np.int64),
                        lot_top=np.zeros(1, np.int64))


def _tails(unit):
    m = nb.tail_width_nb(N_SCEN, VAR_LEVEL, ES_LEVEL)
    return nb.Tails(unit_pnl=unit, weight=np.ones(N_INST), spnl=np.zeros((N_BOOKS, N_SCEN)), desk_spnl=np.zeros(N_SCEN),
                    tail_idx=np.tile(np.arange(m, dtype=np.int64), (N_BOOKS + 1, 1)),
                    tail_loss=np.zeros((N_BOOKS + 1, m)), var_level=VAR_LEVEL, es_level=ES_LEVEL)


def _limits(lim, n_breaches):
    return nb.Limits(lim=lim, action=1, limit_state=np.zeros((N_BOOKS + 1, nb.N_LIMIT_KINDS), np.int8),
                     peak=np.zeros(N_BOOKS + 1), breaches=np.zeros(n_breaches, BREACH_DT), first_breach_id=0)


def _frozen(a):
    """Read-only, as the instrument table's arrays ``run_desk`` passes (the same compiled desk loop)."""
    a.flags.writeable = False
    return a


def _desk(returns, lim, n_orders, n_execs, fifo):
    # every field typed as run_desk types it: this checks the specialisation simulate() runs (and loads
    # it from the cache instead of compiling another one)
    ctl = _controls()
    unit = np.zeros((N_INST, N_SCEN))
    zeros_i = np.zeros(N_INST, np.int64)
    multiplier = _frozen(np.ones(N_INST))
    return nb.Desk(
        risk_on=True, controls=ctl, positions=_positions(fifo), tails=_tails(unit),
        limits=_limits(lim, 2 * n_execs + 64),
        revalue=nb.Revalue(returns=returns, fx_returns=np.zeros((1, N_SCEN)), asset_class=zeros_i,
                           underlying=np.arange(N_INST, dtype=np.int64), multiplier=multiplier,
                           strike=np.zeros(N_INST), expiry_ns=zeros_i, opt_vol=np.zeros(N_INST), rate=np.zeros(N_INST),
                           div_yield=np.zeros(N_INST), call_put=np.zeros(N_INST), var_buf=np.zeros(N_SCEN + 2),
                           work=np.zeros((2, N_INST)), sqrt_h=1.0),
        marks=nb.Marks(times=np.zeros(1, np.int64), mid=MARKS[:, None].copy(), fx=np.ones((1, 1)), inst_ccy=zeros_i,
                       multiplier=multiplier, mv=np.zeros((N_BOOKS, N_INST)), val=np.zeros((N_BOOKS, N_INST)),
                       tp=np.zeros(N_BOOKS), gross=np.zeros(N_BOOKS), mx=np.zeros(N_BOOKS),
                       mx_i=np.full(N_BOOKS, -1, np.int64), state=np.zeros(2, np.int64)),
        records=nb.DeskRecords(fills=np.zeros(n_execs, FILL_DT), events=np.zeros(2 * n_orders + n_execs,
                                                                                     ORDER_EVENT_DT),
                               pnl=np.zeros(0, PNL_DT), risk=np.zeros(0, RISK_DT), first_fill_id=0,
                               snap_ts=np.array([10**15], np.int64), snap_step=np.zeros(1, np.int64), close_ts=10**15,
                               order_fx=np.ones(n_orders), counts=np.zeros(3, np.int64)))


order_st = st.tuples(st.integers(0, N_BOOKS - 1), st.integers(0, N_INST - 1), st.sampled_from([1, -1]),
                     st.integers(1, 2_500), st.booleans(), st.floats(-0.04, 0.04), st.integers(0, 1), st.integers(0, 1),
                     st.lists(st.tuples(st.integers(1, 2_500), st.floats(-0.02, 0.02)), max_size=3))


@settings(deadline=None, max_examples=40)
@given(st.lists(order_st, min_size=1, max_size=25), st.integers(0, 2**31), st.booleans(),
       st.sampled_from([1.0, 5_000.0, 1e9]))
def test_desk_loop_and_engine_agree_bit_for_bit(specs, seed, fifo, var_limit):
    """The same orders and executions through the desk loop and through the engine's kernels."""
    returns = np.random.default_rng(seed).normal(0.0, 0.03, (N_INST, N_SCEN))
    lim = np.zeros(9)
    lim[nb.P_BOOK_VAR] = var_limit
    lim[nb.P_DESK_VAR] = 1.5 * var_limit
    lim[nb.P_WARN] = 0.8
    n = len(specs)
    orders = np.zeros(n, ORDER_DT)
    execs, exec_row = [], []
    ts = 0
    for k, (b, i, side, qty, is_limit, off, client, trader, fills) in enumerate(specs):
        ts += 1_000_000
        o = orders[k]
        o["order_id"], o["parent_id"], o["ts"], o["ts_cancel"] = k, -1, ts, -1
        o["book"], o["instrument"], o["side"], o["qty"] = b, i, side, qty
        o["client"], o["trader"], o["order_type"] = client, trader, int(is_limit)
        o["ref_price"] = MARKS[i]
        o["limit_price"] = MARKS[i] * (1 + off) if is_limit else np.nan
        for q, poff in fills:
            ts += 1_000
            execs.append((k, ts, q, MARKS[i] * (1 + poff), 0.25))
            exec_row.append(k)
    x = np.zeros(len(execs), EXECUTION_DT)
    for j, (k, t, q, p, f) in enumerate(execs):
        x[j]["order_id"], x[j]["ts"], x[j]["qty"], x[j]["price"], x[j]["fee"] = k, t, q, p, f
    exec_row = np.array(exec_row, np.int64)
    # the desk loop: arrivals and executions in time order
    ev = sorted([(orders[k]["ts"], nb.EV_ARRIVAL, k) for k in range(n)] +
                [(x[j]["ts"], nb.EV_FILL, j) for j in range(len(x))])
    desk = _desk(returns, lim, n, max(len(x), 1), fifo)
    d_orders = orders.copy()
    status = nb.desk_loop_nb(np.array([e[1] for e in ev], np.int64), np.array([e[2] for e in ev], np.int64),
                             d_orders, x, exec_row, desk, True, False)
    assert status == 0
    # the engine: the same unit scenario P&L, orders checked and fills applied one event at a time
    ctl, ps = _controls(), _positions(fifo)
    tails = _tails(desk.tails.unit_pnl.copy())
    nb.init_tails_nb(tails.spnl, tails.desk_spnl, tails.tail_idx, tails.tail_loss)
    lm = _limits(lim, 4)
    otab = np.zeros(n, ENGINE_ORDER_DT)
    last = np.full(1, np.iinfo(np.int64).min, np.int64)
    last_f = last.copy()
    reasons, breaches, var_after = [], [], []
    for _, kind, r in ev:
        if kind == nb.EV_ARRIVAL:
            o = orders[r]
            ob = nb.kernel_batch(nb.OrderBatch, **dict(zip(nb.OrderBatch._fields, (np.array([v]) for v in (
                o["ts"], int(o["client"]), int(o["trader"]), int(o["book"]), int(o["instrument"]), int(o["side"]),
                int(o["qty"]), bool(o["order_type"] == 1), o["limit_price"], o["ref_price"], 1.0, r)), strict=True)))
            out = np.zeros(1, np.int8)
            nb.check_orders_nb(ob, ctl, ps, last, otab, out)
            reasons.append(int(out[0]))
            continue
        k = exec_row[r]
        if otab[k]["status"] not in (OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED):
            continue  # the desk discards executions of orders that are not working
        q = min(int(x[r]["qty"]), int(otab[k]["qty"] - otab[k]["filled_qty"]))
        o = orders[k]
        fb = nb.kernel_batch(nb.FillBatch, **dict(zip(nb.FillBatch._fields, (np.array([v]) for v in (
            x[r]["ts"], int(o["book"]), int(o["instrument"]), int(o["side"]), q, x[r]["price"], x[r]["fee"], k)),
            strict=True)))
        lm = lm._replace(breaches=np.zeros(4, BREACH_DT), first_breach_id=len(breaches))
        out, v, e = np.zeros(1, np.int8), np.zeros(1), np.zeros(1)
        done, nbr, st_ = nb.apply_fills_nb(fb, ps, tails, lm, ctl.book_state, True, last_f, otab, out, v, e)
        assert (done, st_, int(out[0])) == (1, 0, 0)
        breaches.extend(lm.breaches[:nbr].tolist())
        var_after.append(v[0])
    # decisions
    assert reasons == d_orders["reject_reason"].tolist()
    # positions and P&L, scenario P&L and tails: bit for bit
    for f in ("pos", "avg", "realized", "fees", "n_fills", "working_buy", "working_sell"):
        np.testing.assert_array_equal(getattr(ps, f), getattr(desk.positions, f), err_msg=f)
    np.testing.assert_array_equal(tails.spnl, desk.tails.spnl)
    np.testing.assert_array_equal(tails.desk_spnl, desk.tails.desk_spnl)
    kv, ke = nb.tail_size_nb(N_SCEN, VAR_LEVEL), nb.tail_size_nb(N_SCEN, ES_LEVEL)
    for b in range(N_BOOKS + 1):
        assert nb.tail_var_es_nb(tails.tail_loss[b], N_SCEN, kv, ke) == \
            nb.tail_var_es_nb(desk.tails.tail_loss[b], N_SCEN, kv, ke)
        vec = tails.spnl[b] if b < N_BOOKS else tails.desk_spnl
        assert nb.tail_var_es_nb(tails.tail_loss[b], N_SCEN, kv, ke) == nb.var_es_nb(vec, VAR_LEVEL, ES_LEVEL,
                                                                                    np.zeros(N_SCEN + 2))
    # limit events and the trading states they set
    n_br = int(desk.records.counts[2])
    assert breaches == desk.limits.breaches[:n_br].tolist()
    np.testing.assert_array_equal(ctl.book_state, desk.controls.book_state)
    np.testing.assert_array_equal(lm.limit_state, desk.limits.limit_state)
    # the fills the desk wrote are the fills the engine applied
    assert int(desk.records.counts[0]) == len(var_after)


def test_bundles_are_declared_once_and_exported():
    """Every bundle the kernels read is a NamedTuple in middle/_bundles.py, exported by middle/nb.py."""
    for name in ("Controls", "Positions", "Tails", "Limits", "Revalue", "Marks", "DeskRecords", "Desk",
                 "OrderBatch", "FillBatch"):
        cls = getattr(nb, name)
        assert issubclass(cls, tuple) and cls._fields, name
        assert name in nb.__all__
