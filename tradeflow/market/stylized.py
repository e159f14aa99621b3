"""Stylized facts of real markets, measured on simulated (or real) prices and order flow.

Each check is one row of a table: the statistic, its value, the literature's range and
whether it holds (Cont 2001; Bouchaud, Bonart, Donier & Gould 2018). Facts whose inputs are
not given are left out.

The estimators live in :mod:`tradeflow.market.estimators`, metaorder impact in
:mod:`tradeflow.market.metaorders`; both are re-exported here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tradeflow.core.time import NS_PER_DAY
from tradeflow.market.estimators import (
    autocorrelation_robust_se,
    deseasonalized_abs_returns,
    hill_tail_index,
    hurst_aggregated_variance,
    intraday_ratios,
    minute_returns,
    pooled_autocorrelation,
    power_law_exponent,
    returns_by_day,
)
from tradeflow.market.metaorders import impact_loglog_slope, metaorder_ids, metaorder_impact, run_metaorder_impact

__all__ = ["stylized_facts", "hill_tail_index", "hurst_aggregated_variance", "pooled_autocorrelation",
           "power_law_exponent", "deseasonalized_abs_returns", "intraday_ratios", "market_facts", "metaorder_ids",
           "metaorder_impact", "run_metaorder_impact", "impact_loglog_slope"]

_NS_PER_DAY = NS_PER_DAY


_CONT = "Cont 2001"
_BBDG = "Bouchaud, Bonart, Donier & Gould 2018"
_LMF = "Lillo, Mike & Farmer 2005"


def stylized_facts(prices: pd.DataFrame, *, arrival_ts: np.ndarray | None = None,
                   signs: list[np.ndarray] | None = None, sizes: np.ndarray | None = None,
                   volume_ts: np.ndarray | None = None, volume: np.ndarray | None = None,
                   spread_ticks: np.ndarray | None = None,
                   impact: list[tuple[np.ndarray, np.ndarray]] | None = None,
                   volumes: pd.DataFrame | None = None, spreads: pd.DataFrame | None = None,
                   fair: pd.DataFrame | None = None, sign_lags: int = 1_000) -> pd.DataFrame:
    """Measure the stylized facts of a market, as strictly as the literature does.

    Nine facts, each one or more rows: heavy tails, no linear autocorrelation of returns,
    volatility clustering (with the time-of-day pattern removed), long memory of order
    signs, intraday seasonality of volume, volatility and spread, the spread's distribution
    in ticks, the order-size tail, clustered arrivals and the square-root impact law.

    Parameters
    ----------
    prices : DataFrame
        Mid prices indexed by UTC time (one or several sessions), one column per
        instrument; returns are taken within each day, never overnight.
    arrival_ts : int64 ndarray, optional
        Order arrival times (ns): clustering is the variance/mean of 1-minute counts within
        30-minute windows (which removes the intraday profile; about 1 for Poisson arrivals).
    signs : list of int ndarray, optional
        Signs (+1/-1) of orders in time order, one array per instrument and day: their
        pooled autocorrelation to ``sign_lags``, its power-law exponent over lags 10 to
        ``sign_lags`` and the Hurst exponent of blocks of 40 orders and more.
    sizes : ndarray, optional
        Order sizes (shares).
    volume_ts, volume : ndarray, optional
        Traded quantity and its times (ns): the intraday seasonality of volume (when
        ``volumes`` is not given; one session per UTC day).
    spread_ticks : ndarray, optional
        Quoted spreads in ticks (where both sides are quoted), when ``spreads`` is not given.
    impact : list of (size, impact) array pairs, optional
        Metaorder sizes in units of daily volume and their impacts in units of daily
        volatility (:func:`metaorder_impact`), pooled (e.g. over instruments, days and
        seeds); the log-log slope of the mean impact over log-spaced size bins
        (:func:`impact_loglog_slope`) is the square-root law's exponent.
    volumes, spreads : DataFrame, optional
        Traded quantity per grid step and quoted spread in ticks (NaN where a side is
        empty), indexed like ``prices``: the U-shapes of volume and spread per session
        (:func:`intraday_ratios`), and the spread's distribution.
    fair : DataFrame, optional
        The fair (efficient) price the mids follow, indexed like ``prices`` and as the mids see it
        (a simulated book's quote at a grid time shows the book the fair price of the previous
        grid time anchored), NaN where ``prices`` is: ``autocorr_10s_lag1_minus_fair``, the mids'
        10-second lag-1 autocorrelation minus the fair price's, is what the book adds to the
        price's own, at most 0 for a mid that does not lag it. One day's ``autocorr_10s_lag1``
        is mostly the fair price's (a martingale's, whose one-day sampling error with volatility
        clustering is about 0.02); the difference is not.
    sign_lags : int, default=1000

    Returns
    -------
    DataFrame with columns ``fact, statistic, value, low, high, source, holds`` (``low``/``high``
    bound the literature's range; NaN where one-sided).

    Examples
    --------
    >>> idx = pd.date_range("2026-11-25 14:30", periods=23_400, freq="1s", tz="UTC")
    >>> p = pd.DataFrame({"A": 100 * np.exp(np.cumsum(np.random.default_rng(0).normal(0, 1e-4, idx.size)))}, idx)
    >>> facts = stylized_facts(p)
    >>> bool(facts.set_index("statistic").loc["abs_autocorr_lag1", "holds"])  # GBM: no volatility clustering
    False
    """
    rows: list[tuple[str, str, float, float, float, str]] = []

    def add(fact: str, stat: str, value: float, low: float = np.nan, high: float = np.nan, source: str = _BBDG) -> None:
        rows.append((fact, stat, float(value), low, high, source))

    r1 = returns_by_day(prices, 1)
    if r1:
        pooled = np.concatenate([(r - r.mean()) / r.std() for r in r1 if r.std() > 0])
        n = pooled.size
        r30 = returns_by_day(prices, 30)
        k30 = np.concatenate([(r - r.mean()) / r.std() for r in r30 if r.std() > 0]) if r30 else np.array([])
        kurt1 = float(pd.Series(pooled).kurt())
        kurt30 = float(pd.Series(k30).kurt()) if k30.size > 3 else np.nan
        add("heavy tails", "excess_kurtosis_1min", kurt1, 3.0, source=_CONT)
        add("heavy tails", "excess_kurtosis_1min_minus_30min", kurt1 - kurt30, 0.0, source=_CONT)
        add("heavy tails", "hill_tail_index_1min", hill_tail_index(pooled), 2.0, 5.0, source=_CONT)
        acf = pooled_autocorrelation(r1, 10)
        # two heteroscedasticity-consistent standard errors (2 / sqrt(n) for iid returns): with volatility
        # clustering and heavy tails the sample ACF is several times noisier than Bartlett's band, which a
        # simulated GARCH/Student-t martingale (the fair price) exceeds on 3 days in 10
        robust_band = 2.0 * float(np.mean(autocorrelation_robust_se(r1, 10)[1:]))
        band = 2.0 / np.sqrt(n)  # |r|'s ACF against the null of no clustering: Bartlett's band
        add("no return autocorrelation", "autocorr_lag1", acf[0], -0.1, 0.1, source=_CONT)
        add("no return autocorrelation", "mean_abs_autocorr_lag2_10", np.mean(np.abs(acf[1:])), 0.0, robust_band,
            source=_CONT)
        r10s = [r for r, _ in minute_returns(prices, 10)]
        if r10s:
            # mids mean-revert slightly at short lags; a positive value means the mid lags the price
            a10 = pooled_autocorrelation(r10s, 1)[0]
            add("no return autocorrelation", "autocorr_10s_lag1", a10, -0.15, 0.02)
            f10s = [r for r, _ in minute_returns(fair, 10)] if fair is not None else []
            if f10s:
                add("no return autocorrelation", "autocorr_10s_lag1_minus_fair",
                    a10 - pooled_autocorrelation(f10s, 1)[0], -0.15, 0.0)
        aacf = pooled_autocorrelation([np.abs(r) for r in r1], 10)
        add("volatility clustering", "abs_autocorr_lag1", aacf[0], 0.1, 0.5, source=_CONT)
        add("volatility clustering", "abs_autocorr_lag10", aacf[9], band, source=_CONT)
        des = deseasonalized_abs_returns(minute_returns(prices, 60))
        if des:
            dacf = pooled_autocorrelation(des, 30)
            add("volatility clustering", "abs_autocorr_deseasonalized_lag30", dacf[29], 0.05, 0.3, source=_CONT)
            add("volatility clustering", "abs_autocorr_deseasonalized_lag30_to_lag1", dacf[29] / dacf[0], 0.25,
                source=_CONT)
    if signs is not None and sum(len(s) for s in signs) > 0:
        segs = [np.asarray(s, np.float64) for s in signs]
        add("long memory of order signs", "hurst_signs", hurst_aggregated_variance(segs, min_block=40), 0.6, 0.85,
            source=_LMF)
        sacf = pooled_autocorrelation(segs, sign_lags)
        add("long memory of order signs", "sign_autocorr_lag100", sacf[min(99, sacf.size - 1)], 0.01, source=_LMF)
        add("long memory of order signs", "sign_acf_exponent", power_law_exponent(sacf, lo=10, hi=sign_lags),
            0.2, 0.8, source=_LMF)
    if arrival_ts is not None and len(arrival_ts) > 0:
        minute = np.asarray(arrival_ts, np.int64) // 60_000_000_000
        counts = np.bincount(minute - minute.min())
        windows = [counts[i:i + 30] for i in range(0, counts.size - 29, 30)]
        ratios = [w.var(ddof=1) / w.mean() for w in windows if w.mean() > 0]
        add("clustered arrivals", "count_variance_to_mean_1min", np.mean(ratios) if ratios else np.nan, 2.0)
    if volumes is None and volume_ts is not None and volume is not None and len(volume) > 0:
        volumes = pd.DataFrame({"all": np.asarray(volume, np.float64)},
                               index=pd.to_datetime(np.asarray(volume_ts, np.int64), unit="ns", utc=True))
        volumes = volumes.groupby(level=0).sum()
    if volumes is not None and len(volumes) > 0:
        o, c = intraday_ratios(volumes, how="sum")
        add("intraday seasonality", "first_30min_volume_to_midday", o, 1.3)
        add("intraday seasonality", "last_30min_volume_to_midday", c, 1.3)
    if r1:
        rets = np.log(prices.where(prices > 0)).groupby(prices.index.normalize()).diff()
        o, c = intraday_ratios(rets.resample("1min").sum(min_count=1), how="std")
        add("intraday seasonality", "first_30min_volatility_to_midday", o, 1.3)
        add("intraday seasonality", "last_30min_volatility_to_midday", c, 1.2)
    if spreads is not None and len(spreads) > 0:
        o, _ = intraday_ratios(spreads, how="mean")
        add("intraday seasonality", "first_30min_spread_to_midday", o, 1.1)
        spread_ticks = spreads.to_numpy(np.float64).ravel()
    if sizes is not None and len(sizes) > 0:
        s = np.asarray(sizes, np.float64)
        add("order sizes", "size_tail_exponent", hill_tail_index(s, tail=0.05), 1.2, 2.5, source=_CONT)
        round_share = float(np.mean(s % 100 == 0))
        # a smooth size distribution puts ~1% of sizes on multiples of 100
        add("order sizes", "round_lot_share", round_share, 0.05)
    if spread_ticks is not None and len(spread_ticks) > 0:
        sp = np.asarray(spread_ticks, np.float64)
        sp = sp[np.isfinite(sp)]
        if sp.size:
            add("spread", "min_spread_ticks", float(np.min(sp)), 1.0 - 1e-9)
            add("spread", "median_spread_ticks", float(np.median(np.rint(sp))), 1.0, 2.0)
            add("spread", "one_tick_share", float(np.mean(np.rint(sp) <= 1)), 0.2)
    if impact:
        size = np.concatenate([np.asarray(s, np.float64) for s, _ in impact])
        imp = np.concatenate([np.asarray(i, np.float64) for _, i in impact])
        slope, bins = impact_loglog_slope(size, imp)
        add("market impact", "impact_size_loglog_slope", slope, 0.3, 0.7)
        use = (bins["count"] >= 50).to_numpy()
        x, y = bins["size"].to_numpy()[use], bins["impact"].to_numpy()[use]
        # Y of I = Y * sqrt(Q / V), least squares over the bins; of order 1 in real markets
        prefactor = float(np.sum(y * np.sqrt(x)) / np.sum(x)) if x.size >= 3 else np.nan
        add("market impact", "impact_sqrt_prefactor", prefactor, 0.3, 3.0)
    df = pd.DataFrame(rows, columns=["fact", "statistic", "value", "low", "high", "source"])
    lo_ok = df["low"].isna() | (df["value"] >= df["low"])
    hi_ok = df["high"].isna() | (df["value"] <= df["high"])
    df["holds"] = lo_ok & hi_ok & df["value"].notna()
    return df



def market_facts(market, orders: np.ndarray, executions: np.ndarray | None = None,
                 quotes: np.ndarray | None = None, *, sign_lags: int = 300) -> pd.DataFrame:
    """:func:`stylized_facts` of a run's records: the venue book's mids, spreads and volumes
    (``quotes``, sorted by time then instrument), the signs of the client orders (per
    instrument and day, in time order: the order flow whose memory Lillo, Mike & Farmer
    explain by metaorders), order sizes and arrival times, and metaorder impact.
    Options are left out (their prices follow their underlying's). Without quotes (the quote
    venue) the market's simulated mids and the orders' quantities stand in.

    Parameters
    ----------
    market : MarketData
    orders : ORDER_DT records sorted by ``order_id``
    executions : EXECUTION_DT records, optional
    quotes : QUOTE_DT records, optional
    sign_lags : int, default=300
        Longest lag of the sign autocorrelation's power-law fit: 300 suits a day of
        10,000 orders per instrument; pool several days (or seeds) to fit to 1,000.
    """
    n_inst = market.n_instruments
    symbols = list(market.instruments["symbol"])
    tick = market.instruments["tick_size"].to_numpy(np.float64)
    kw: dict = {"arrival_ts": orders["ts"], "sizes": orders["qty"], "sign_lags": sign_lags}
    if quotes is not None and quotes.size:
        q = quotes.reshape(-1, n_inst)  # sorted by (ts, instrument)
        idx = pd.to_datetime(q["ts"][:, 0], unit="ns", utc=True)
        both = np.isfinite(q["bid"]) & np.isfinite(q["ask"])
        # each venue is measured in its own session: snapshots while it is shut (before its open, after
        # its close, when a closed book still shows its last quotes) are gaps, not flat prices, zero
        # volume or a frozen spread, so its open and close are compared with its own midday
        vol = q["volume"].astype(np.float64)
        if market.session_open is not None:  # one day: its venues' sessions are known exactly
            t = q["ts"][:, :1]
            live = (t >= market.session_open[None, :]) & (t < market.session_close[None, :])
        else:  # several days joined: a venue is live where its book quotes or trades
            live = both | (vol > 0)
        prices = pd.DataFrame(np.where(live, 0.5 * (q["bid"] + q["ask"]), np.nan), index=idx, columns=symbols)
        kw["spreads"] = pd.DataFrame(np.where(live & both, (q["ask"] - q["bid"]) / tick[None, :], np.nan),
                                     index=idx, columns=symbols)
        kw["volumes"] = pd.DataFrame(np.where(live, vol, np.nan), index=idx, columns=symbols)
        # the fair price as the quotes see it: the book at a grid time is the one the previous grid time's
        # fair price anchored (the first snapshot of each session has no previous: a gap)
        prev = np.vstack([np.full((1, n_inst), np.nan), market.mid.T[:-1]])
        if q.shape[0] > 2:  # nor across a night
            gap = np.diff(q["ts"][:, 0])
            prev[1:][gap > np.min(gap)] = np.nan
        kw["fair"] = pd.DataFrame(np.where(live & np.isfinite(prices.to_numpy()), prev, np.nan), index=idx,
                                  columns=symbols)
    else:
        prices = market.prices_frame("mid")
        kw["volume_ts"] = orders["ts"]
        kw["volume"] = orders["qty"]
    day = orders["ts"] // _NS_PER_DAY
    kw["signs"] = [orders["side"][(orders["instrument"] == i) & (day == d)].astype(np.float64)
                   for i in range(n_inst) for d in np.unique(day)]
    if executions is not None and executions.size:
        if quotes is not None and quotes.size:
            kw["impact"] = [run_metaorder_impact(market, orders, executions, quotes)]
    underlyings = list(market.instruments.loc[market.instruments["asset_class"] != "option", "symbol"])
    for k in ("spreads", "volumes", "fair"):
        if k in kw:
            kw[k] = kw[k][underlyings]
    return stylized_facts(prices[underlyings], **kw)
