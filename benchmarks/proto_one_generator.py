"""Prototype, not in the package: one generator for every book writing the book day's background stream in
time order, against today's path (each book's ``_background_flow``, then ``_background_stream``'s merge).

    python -m benchmarks.proto_one_generator

A default day's shape: ten books (six on a 6.5 h session, four on 8.5 h, a 1 s grid and a 180-step pre-open),
6 events a second a book, the makers' requotes (four rows a grid time a book) merged step by step. The
superposed Poisson flow is drawn on the books' summed intensity (sorted uniforms from normalised cumulative
exponentials, as ``background_events_nb`` draws one book's), each event's book by a branchless count of the
step's cumulative intensities (laid out step by step), then its marks as ``background_events_nb`` makes them.
Each book's flow keeps its law; every event differs from today's. See docs/performance.md (stop 34).
"""

import time

import numpy as np
from numba import njit

K_LIMIT, K_MARKET, K_BG_CANCEL = 0, 3, 5


@njit(cache=False, nogil=True)
def _emit_requote(j, t, i, s, rq_bid, rq_ask, rq_u1, rq_u2, quote_qty, o_ts, o_inst, o_kind, o_side, o_price, o_qty,
                  o_u):
    # book i's requote of step s at time t as its four rows from row j: bid, ask, a cancel attempt on each side
    for q in range(4):
        o_ts[j + q] = t
        o_inst[j + q] = i
        o_kind[j + q] = K_LIMIT if q < 2 else K_BG_CANCEL
        o_side[j + q] = 1 if q % 2 == 0 else -1
        o_qty[j + q] = quote_qty if q < 2 else 0
    o_price[j] = rq_bid[s, i]
    o_price[j + 1] = rq_ask[s, i]
    o_price[j + 2] = 0
    o_price[j + 3] = 0
    o_u[j] = -1.0
    o_u[j + 1] = -1.0
    o_u[j + 2] = rq_u1[s, i]
    o_u[j + 3] = rq_u2[s, i]
    return j + 4


@njit(cache=False, nogil=True)
def gen_nb(expo, uni, t0, step_ns, cum, lam_total, a, b, fair, scale, depth, mu, market_share, cancel_share, lot,
           p_geom, lo, rq_lag, rq_bid, rq_ask, rq_u1, rq_u2, quote_qty, o_ts, o_inst, o_kind, o_side, o_price, o_qty,
           o_u):
    """The stream in time order; ``(step, book)`` layouts: ``cum`` the books' cumulative intensities, ``fair``,
    ``scale`` and the requotes' ``rq_*``; book ``i`` runs over the steps ``a[i] <= s < b[i]``."""
    n = uni.shape[1]
    n_steps = lam_total.shape[0]
    n_books = cum.shape[1]
    total = 0.0
    for k in range(n + 1):
        total += expo[k]
    grand = 0.0
    for s in range(n_steps):
        grand += lam_total[s]
    log_q = np.log(1.0 - p_geom) if p_geom < 1.0 else 0.0
    inv_mu = -1.0 / mu
    f_max = np.zeros(n_books)
    f_step = np.full(n_books, -1)
    pend_t = np.empty(n_books, np.int64)
    pend_b = np.empty(n_books, np.int64)
    out = (o_ts, o_inst, o_kind, o_side, o_price, o_qty, o_u)
    rq = (rq_bid, rq_ask, rq_u1, rq_u2, quote_qty)
    n_pend = 0
    p_next = 0
    j = 0
    s = -1
    cum_lo = 0.0
    cum_hi = 0.0
    acc = 0.0
    for k in range(n + 1):
        x = 2.0  # past the last event: every step's requotes go out
        if k < n:
            acc += expo[k]
            x = acc / total
        while (x > cum_hi and s < n_steps - 1) or (k == n and s < n_steps):
            # leave step s (its requotes not out yet go now), enter step s + 1 (its requotes, by time then book)
            while p_next < n_pend:
                j = _emit_requote(j, pend_t[p_next], pend_b[p_next], s, *rq, *out)
                p_next += 1
            s += 1
            if s >= n_steps:
                break
            cum_lo = cum_hi
            cum_hi += lam_total[s] / grand
            n_pend = 0
            p_next = 0
            for i in range(n_books):
                if a[i] <= s < b[i]:
                    t = t0 + s * step_ns + rq_lag[s, i]
                    m = n_pend
                    while m > 0 and pend_t[m - 1] > t:
                        pend_t[m] = pend_t[m - 1]
                        pend_b[m] = pend_b[m - 1]
                        m -= 1
                    pend_t[m] = t
                    pend_b[m] = i
                    n_pend += 1
        if k == n:
            break
        width = cum_hi - cum_lo
        frac = min(max((x - cum_lo) / width if width > 0 else 0.0, 0.0), 1.0)
        ts = t0 + s * step_ns + np.int64(frac * step_ns)
        # the event's book by its share of the step's intensity: how many books' cumulative intensity the draw
        # passes (branchless: a scan that stops at the book mispredicts)
        v = uni[5, k] * lam_total[s]
        i = 0
        for q in range(n_books - 1):
            i += cum[s, q] <= v
        while p_next < n_pend and pend_t[p_next] <= ts:  # this step's requotes due first
            j = _emit_requote(j, pend_t[p_next], pend_b[p_next], s, *rq, *out)
            p_next += 1
        o_ts[j] = ts
        o_inst[j] = i
        side = 1 if uni[1, k] < 0.5 else -1
        o_side[j] = side
        o_u[j] = uni[4, k]
        r = uni[0, k]
        if market_share <= r < market_share + cancel_share:
            o_kind[j] = K_BG_CANCEL
            o_price[j] = 0
            o_qty[j] = 0
            j += 1
            continue
        o_qty[j] = lot * (1 + np.int64(np.log(1.0 - uni[3, k]) / log_q) if p_geom < 1.0 else 1)
        if r < market_share:
            o_kind[j] = K_MARKET
            o_price[j] = 0
            j += 1
            continue
        o_kind[j] = K_LIMIT
        sc = scale[s, i]
        if f_step[i] != s:
            f_max[i] = 1.0 - (1.0 + depth[i] / sc) ** (-mu)
            f_step[i] = s
        dist = min(np.int64(sc * ((1.0 - uni[2, k] * f_max[i]) ** inv_mu - 1.0)) + 1, depth[i])
        f = fair[s, i]
        o_price[j] = np.int64(np.floor(f)) - dist + 1 - lo[i] if side > 0 else np.int64(np.ceil(f)) + dist - 1 - lo[i]
        j += 1
    return j


def inputs(seed=0):
    # a default day's shape: 6 books on a 6.5 h session, 4 on 8.5 h, 1 s grid, a pre-open of m steps, 6 events/s
    rng = np.random.default_rng(seed)
    m = 180
    G = 14 * 3600 + m
    a = np.array([G - 23400 - m] * 6 + [0] * 4, np.int64)
    b = np.array([G] * 6 + [30600 + m] * 4, np.int64)
    B = 10
    W = int((b - a).max())
    lam = np.zeros((B, G))
    for i in range(B):
        steps = b[i] - a[i]
        prof = np.concatenate([np.ones(m), 1 + 0.8 * np.cos(np.linspace(0, 2 * np.pi, steps - m))])
        lam[i, a[i]:b[i]] = 6.0 * steps * prof / prof.sum()
    fair = 10_000 + np.cumsum(rng.normal(0, 1, (B, W)), axis=1)
    scale = np.full((B, W), 3.0)
    width = rng.integers(1, 3, (B, W))
    lag = np.minimum(1 + rng.exponential(50_000, (B, W)).astype(np.int64), 500_000_000)
    lo = np.full(B, 8_000, np.int64)
    fl = np.floor(fair).astype(np.int64)
    bid = fl - width + 1 - lo[:, None]
    ask = np.maximum(np.ceil(fair).astype(np.int64), fl + 1) + width - 1 - lo[:, None]
    u1, u2 = rng.random((B, W)), rng.random((B, W))
    def glob(x, dt):
        out = np.zeros((G, B), dt)
        for i in range(B):
            out[a[i]:b[i], i] = x[i, :b[i] - a[i]]
        return out
    return dict(lam=np.ascontiguousarray(lam.T), a=a, b=b, fair=glob(fair, float), scale=glob(scale, float),
                lag=glob(lag, np.int64), bid=glob(bid, np.int64), ask=glob(ask, np.int64), u1=glob(u1, float),
                u2=glob(u2, float), lo=lo, G=G)


def _generate(d, expo, uni, lam_total, out):
    depth = np.full(10, 20, np.int64)
    return gen_nb(expo, uni, np.int64(10**18), np.int64(10**9), np.cumsum(d["lam"], 1), lam_total, d["a"], d["b"],
                  d["fair"], d["scale"], depth, 0.6, 0.08, 0.42, np.int64(100), 1 / 3, d["lo"], d["lag"], d["bid"],
                  d["ask"], d["u1"], d["u2"], np.int64(200), *out)


def _draws(rng, d):
    lam_total = d["lam"].sum(1)
    n = int(rng.poisson(lam_total.sum()))
    expo = rng.standard_exponential(n + 1)
    uni = rng.random((6, n))
    size = n + 4 * int((d["b"] - d["a"]).sum())
    return lam_total, expo, uni, size


def _outputs(size):
    return (np.empty(size, np.int64), np.empty(size, np.int32), np.empty(size, np.int8), np.empty(size, np.int8),
            np.empty(size, np.int64), np.empty(size, np.int64), np.empty(size, np.float64))


def run(rng, d):
    """The day's stream: ``(ts, inst, kind, side, price, qty, u)``."""
    lam_total, expo, uni, size = _draws(rng, d)
    out = _outputs(size)
    j = _generate(d, expo, uni, lam_total, out)
    assert j == size, (j, size)
    return out


def parts(d, r):
    """CPU seconds of the draws, of the outputs' fresh pages and of the kernel."""
    t0 = time.process_time()
    lam_total, expo, uni, size = _draws(np.random.default_rng(r), d)
    t1 = time.process_time()
    out = _outputs(size)
    for a_ in out:  # touch the pages
        a_[::512] = 0
    t2 = time.process_time()
    _generate(d, expo, uni, lam_total, out)
    return t1 - t0, t2 - t1, time.process_time() - t2


def _current(d, r, fairs, m=180):
    from tradeflow.config import ExecutionConfig
    from tradeflow.front.venue import _background_flow
    from tradeflow.session import _background_stream

    cfg = ExecutionConfig(venue="book")
    rng = np.random.default_rng(r)
    t0 = time.process_time()
    parts, scratch = [], {}
    for i in range(10):
        steps = int(d["b"][i] - d["a"][i]) - m
        times = np.int64(10**18) + np.arange(steps, dtype=np.int64) * 10**9
        prof = 1 + 0.8 * np.cos(np.linspace(0, 2 * np.pi, steps))
        parts.append(_background_flow(rng, fair_ticks=fairs[i], times=times, profile=prof, cfg=cfg,
                                      lo=int(d["lo"][i]), time_order=False, scratch=scratch))
    t1 = time.process_time()
    _background_stream(parts, np.array([len(p["ts"]) for p in parts], np.int64))
    return t1 - t0, time.process_time() - t1


def main(repeats: int = 15) -> None:
    d = inputs()
    ts, inst = run(np.random.default_rng(1), d)[:2]
    assert (np.diff(ts) >= 0).all()
    print("rows", ts.shape[0], "per book", np.bincount(inst, minlength=10).tolist())
    fairs = [np.ascontiguousarray(d["fair"][d["a"][i] + 180:d["b"][i], i]) for i in range(10)]
    cur, one = [], []
    for r in range(repeats):  # interleaved: each pair shares its minute
        cur.append(_current(d, r, fairs))
        one.append(parts(d, r))
    cur, one = np.median(cur, 0) * 1e3, np.median(one, 0) * 1e3
    print(f"today: per-book generation {cur[0]:.1f} ms + merge {cur[1]:.1f} ms = {cur.sum():.1f} ms")
    print(f"one generator: draws {one[0]:.1f} + fresh pages {one[1]:.1f} + kernel {one[2]:.1f} ms = {one.sum():.1f} ms")


if __name__ == "__main__":
    main()
