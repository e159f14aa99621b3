"""The streaming risk engine's read-only views: positions, P&L, VaR/ES (historical, parametric,
Monte Carlo), component VaR, Greeks and stress, computed from the state :class:`RiskEngine` keeps.

Kept apart from the engine's ingestion (orders, fills, prices, limits in ``engine.py``): a new risk
measure goes here and reads the state, it never changes it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tradeflow.middle._risk_kernels import var_es_nb
from tradeflow.middle.greeks import position_greeks
from tradeflow.middle.stress import stress_test
from tradeflow.middle.var import component_var

__all__ = ["RiskViews"]


class RiskViews:
    """Views of a :class:`~tradeflow.middle.engine.RiskEngine`'s state (mixed into it; not used alone)."""

    # ------------------------------------------------------------------ outputs
    def snapshot(self) -> pd.DataFrame:
        """Positions per book x instrument that traded: qty, average price, realized and
        unrealized P&L, fees (instrument currency), mark, and market value in the base currency."""
        st = self._state
        b, i = np.nonzero(st.n_fills)
        qty = st.pos[b, i]
        mult = self._inst.multiplier[i]
        mark = self._marks[i]
        return pd.DataFrame({
            "book": b, "instrument": pd.Categorical([self.symbols[k] for k in i], categories=self.symbols),
            "qty": qty, "avg_price": st.avg[b, i], "realized_pnl": st.realized[b, i] * mult,
            "unrealized_pnl": np.where(qty != 0, qty * (mark - st.avg[b, i]) * mult, 0.0), "fees": st.fees[b, i],
            "mark": mark, "market_value_base": qty * mark * mult * self.fx_inst[i], "n_fills": st.n_fills[b, i],
        })

    def pnl(self) -> pd.DataFrame:
        """P&L and exposure per book and for the desk, in the base currency."""
        snap = self.snapshot()
        fx = self.fx_inst[self._instrument_ids(snap["instrument"].astype(str))] if len(snap) else np.zeros(0)
        df = pd.DataFrame({"book": snap["book"], "realized_pnl": snap["realized_pnl"] * fx,
                           "unrealized_pnl": snap["unrealized_pnl"] * fx, "fees": snap["fees"] * fx,
                           "gross_exposure": snap["market_value_base"].abs(),
                           "net_exposure": snap["market_value_base"]})
        out = df.groupby("book").sum().reindex(range(self.n_books), fill_value=0.0)
        out["total_pnl"] = out["realized_pnl"] + out["unrealized_pnl"] - out["fees"]
        out.loc["desk"] = out.sum()
        return out

    def var(self) -> pd.DataFrame:
        """Historical VaR and ES per book and for the desk from the current scenario P&L vectors."""
        rc = self.risk_config
        rows = [var_es_nb(v, rc.var_level, rc.es_level, self._var_buf) for v in [*self._spnl, self._desk]]
        a = np.array(rows)
        h = np.sqrt(rc.horizon_days)
        return pd.DataFrame({"var_1d": a[:, 0], "es_1d": a[:, 1], "var_10d": a[:, 0] * h, "es_10d": a[:, 1] * h},
                            index=pd.Index([*range(self.n_books), "desk"], name="book"))

    def component_var(self) -> pd.DataFrame:
        """Component, incremental and stand-alone VaR per book (see :func:`tradeflow.middle.var.component_var`)."""
        return component_var(self._spnl, level=self.risk_config.var_level)

    def greeks(self, *, by: str = "position") -> pd.DataFrame:
        """Greeks in the base currency (see :func:`tradeflow.middle.greeks.position_greeks`).

        ``by="position"`` (default) gives one row per book x instrument; ``by="book"`` sums
        dollar delta, dollar gamma, vega (per point) and theta (per day) per book, with a desk row.
        """
        g = position_greeks(self._state.pos, self._inst, self._marks, self.fx_inst, self._now, symbols=self.symbols)
        if by == "position":
            return g
        if by != "book":
            raise ValueError(f"The 'by' argument of RiskEngine.greeks must be 'position' or 'book'. Got {by!r}.")
        cols = ["dollar_delta", "dollar_gamma", "vega", "theta"]
        out = g.groupby("book")[cols].sum().reindex(range(self.n_books), fill_value=0.0)
        out.loc["desk"] = out.sum()
        return out

    def _factor_sensitivities(self) -> tuple[np.ndarray, np.ndarray]:
        """Dollar delta and dollar gamma per book on the linear instruments' returns (options mapped to
        their underlying), shape (n_books, n_instruments)."""
        g = position_greeks(self._state.pos, self._inst, self._marks, self.fx_inst, self._now)
        u = self._inst.underlying[g["instrument"].to_numpy(np.int64)]
        d = np.zeros((self.n_books, self._inst.n))
        gm = np.zeros_like(d)
        np.add.at(d, (g["book"].to_numpy(), u), g["dollar_delta"].to_numpy())
        np.add.at(gm, (g["book"].to_numpy(), u), g["dollar_gamma"].to_numpy())
        return d, gm

    def parametric_var(self, *, method: str = "delta_normal", lam: float = 0.94, level: float | None = None,
                       horizon_days: int = 1) -> pd.DataFrame:
        """Delta-normal or delta-gamma (Cornish-Fisher) VaR per book and desk.

        The covariance is the EWMA (``lam``, RiskMetrics 0.94) of the scenario returns taken
        as a daily history, the last scenario the most recent; options enter through their
        delta (and gamma) on the underlying.
        """
        from tradeflow.middle.var import delta_gamma_var, delta_normal_var, ewma_covariance

        if method not in ("delta_normal", "delta_gamma"):
            raise ValueError(f"The 'method' argument of parametric_var must be 'delta_normal' or 'delta_gamma'. "
                             f"Got {method!r}.")
        lvl = self.risk_config.var_level if level is None else level
        cov = ewma_covariance(self._returns, lam)
        d, gm = self._factor_sensitivities()
        rows = [*zip(d, gm, strict=True), (d.sum(axis=0), gm.sum(axis=0))]
        if method == "delta_normal":
            vals = [delta_normal_var(dd, cov, level=lvl, horizon_days=horizon_days) for dd, _ in rows]
        else:
            vals = [delta_gamma_var(dd, gg, cov, level=lvl, horizon_days=horizon_days) for dd, gg in rows]
        return pd.DataFrame({"var": vals}, index=pd.Index([*range(self.n_books), "desk"], name="book"))

    def monte_carlo_var(self, rng: np.random.Generator, *, n_paths: int = 10_000, lam: float = 0.94,
                        horizon_days: int = 1) -> pd.DataFrame:
        """Monte Carlo VaR/ES with full revaluation of options, EWMA covariance of the scenario returns."""
        from tradeflow.middle.var import ewma_covariance, monte_carlo_var

        rc = self.risk_config
        return monte_carlo_var(self._state.pos, self._inst, self._marks, self.fx_inst,
                               ewma_covariance(np.log1p(self._returns), lam), rng, ts=self._now, n_paths=n_paths,
                               horizon_days=horizon_days, var_level=rc.var_level, es_level=rc.es_level)

    def stress(self, shocks=None) -> pd.DataFrame:
        """Stress P&L per book and desk (see :func:`tradeflow.middle.stress.stress_test`)."""
        return stress_test(self._state.pos, self._inst, self._marks, self._fx_ccy, self.currencies, ts=self._now,
                           shocks=shocks, symbols=self.symbols)

