"""Non-negative least squares without importing ``scipy.optimize``.

The impact model fits a power-law kernel by NNLS on a run's first day (:mod:`tradeflow.front.impact`).
``scipy.optimize.nnls`` is a fine solver, but importing ``scipy.optimize`` loads 238 modules: 0.17 s
and about 20 MB resident on the first day of every process, for a 201 x 10 problem. :func:`nnls` is
the active-set method of Lawson & Hanson (*Solving Least Squares Problems*, 1974, ch. 23, algorithm
NNLS), the one scipy implements, in numpy; the tests check it against ``scipy.optimize.nnls`` and
against the Karush-Kuhn-Tucker conditions.

>>> import numpy as np
>>> x, res = nnls(np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([2.0, -1.0]))
>>> x.tolist(), round(res, 12)
([2.0, 0.0], 1.0)
"""

from __future__ import annotations

import numpy as np

__all__ = ["nnls"]


def nnls(a: np.ndarray, b: np.ndarray, max_iter: int | None = None) -> tuple[np.ndarray, float]:
    """Solve ``min ||a @ x - b||_2`` subject to ``x >= 0``.

    Parameters
    ----------
    a : (m, n) float array
    b : (m,) float array
    max_iter : int, optional
        Bound on the outer iterations (variables moved into the passive set); ``3 * n`` by default,
        as scipy's.

    Returns
    -------
    x : (n,) float64 ndarray
        The solution; exact zeros where the constraint binds.
    residual : float
        ``||a @ x - b||_2``.

    Raises
    ------
    ValueError
        When the shapes do not match or an input is not finite.
    RuntimeError
        When the iterations run out (a degenerate problem).
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.ndim != 2 or b.ndim != 1 or a.shape[0] != b.shape[0]:
        raise ValueError(f"nnls: 'a' must be (m, n) and 'b' (m,); got {a.shape} and {b.shape}.")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("nnls: 'a' and 'b' must be finite.")
    m, n = a.shape
    max_iter = 3 * n if max_iter is None else int(max_iter)
    x = np.zeros(n)
    passive = np.zeros(n, dtype=bool)  # the free variables; the others are held at zero
    # dual-feasibility tolerance as Lawson & Hanson's and scipy's: relative to the size of the problem
    tol = 10.0 * np.finfo(np.float64).eps * max(m, n) * max(np.abs(a).sum(axis=0).max(initial=0.0), 1.0)
    w = a.T @ (b - a @ x)  # the negative gradient: the dual variables
    skip = np.zeros(n, dtype=bool)  # candidates rejected since the last variable entered
    it = 0
    # at most m variables are free: more would make the passive columns dependent (L&H's "nsetp < m")
    while passive.sum() < m:
        cand = ~passive & ~skip & (w > tol)
        if not cand.any():
            break
        j = int(np.argmax(np.where(cand, w, -np.inf)))
        trial = passive.copy()
        trial[j] = True
        s = _solve(a, b, trial)
        if s[j] <= 0.0:  # j adds nothing the passive columns lack (L&H step 6): try the next candidate
            skip[j] = True
            continue
        if it >= max_iter:
            raise RuntimeError(f"nnls: no solution within max_iter={max_iter} iterations.")
        it += 1
        skip[:] = False
        passive = trial
        while not (s[passive] > 0).all():  # keep the solution on the passive set feasible
            neg = passive & (s <= 0)
            gap = x[neg] - s[neg]  # >= 0: x >= 0 >= s there
            # the largest step towards s that stays feasible (0 when a variable is already at zero)
            alpha = float(np.min(np.divide(x[neg], gap, out=np.zeros_like(gap), where=gap > 0)))
            x = x + alpha * (s - x)
            passive &= x > tol  # variables that reached zero leave the passive set
            x[~passive] = 0.0
            s = _solve(a, b, passive)
        x = s
        w = a.T @ (b - a @ x)
    return x, float(np.linalg.norm(a @ x - b))


def _solve(a: np.ndarray, b: np.ndarray, passive: np.ndarray) -> np.ndarray:
    """The unconstrained least-squares solution on the passive columns, zero elsewhere."""
    s = np.zeros(a.shape[1])
    if passive.any():
        s[passive] = np.linalg.lstsq(a[:, passive], b, rcond=None)[0]
    return s
