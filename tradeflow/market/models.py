"""Return models on the quote grid: GARCH(1,1) volatility on a slower clock and Merton jumps.

Both act on the correlated Gaussian increments of :func:`tradeflow.market.paths.simulate_market`:
GARCH scales each block of steps (one minute by default) by a conditional volatility that
reacts to the previous block's standardized return; jumps add compound-Poisson log-normal
moves. Each is switchable in :class:`tradeflow.config.MarketConfig`.
"""

from __future__ import annotations

import numpy as np

from tradeflow.market._path_kernels import garch_recursion_nb

__all__ = ["garch_block_variance", "garch_scale", "merton_jumps"]


def garch_scale(z: np.ndarray, *, block: int, alpha: float, beta: float,
                h0: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """GARCH(1,1) multipliers of standard-normal increments, one variance per block of steps.

    In units of the unconditional variance (so the configured volatility is kept on average),
    ``h[m+1] = (1 - alpha - beta) + alpha * e[m]**2 + beta * h[m]`` with
    ``e[m] = sqrt(h[m]) * xi[m]``, ``xi[m]`` the standardized sum of block ``m``'s normals.

    Parameters
    ----------
    z : float ndarray of shape (n_instruments, n_steps)
        Standard-normal increments (correlated across rows).
    block : int
        Steps per GARCH period (60 one-second steps: a one-minute GARCH).
    alpha, beta : float
        ARCH and GARCH coefficients; ``alpha + beta < 1``.
    h0 : float ndarray of shape (n_instruments,), optional
        Variance entering the first block (the previous session's; default 1).

    Returns
    -------
    scale : float ndarray of the shape of ``z``
        ``sqrt(h)`` of each step's block.
    h_next : float ndarray of shape (n_instruments,)
        The variance entering the next session.
    """
    h, h_next = garch_block_variance(z, block=block, alpha=alpha, beta=beta, h0=h0)
    return np.repeat(np.sqrt(h), block, axis=1)[:, : z.shape[1]], h_next


def garch_block_variance(z: np.ndarray, *, block: int, alpha: float, beta: float,
                         h0: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The GARCH(1,1) variance of each block of :func:`garch_scale` (its ``scale`` is ``sqrt(h)`` repeated
    over each block's steps).

    Returns
    -------
    h : float ndarray of shape (n_instruments, n_blocks)
        The variance of each block, in units of the unconditional variance.
    h_next : float ndarray of shape (n_instruments,)
        The variance entering the next session.
    """
    if not (alpha >= 0 and beta >= 0 and alpha + beta < 1):
        raise ValueError(f"GARCH(1,1) needs alpha, beta >= 0 and alpha + beta < 1. Got {alpha!r}, {beta!r}.")
    n_inst, n_steps = z.shape
    n_blocks = -(-n_steps // block)
    pad = n_blocks * block - n_steps
    zz = np.pad(z, ((0, 0), (0, pad))) if pad else z
    counts = np.full(n_blocks, float(block))
    counts[-1] = block - pad
    xi = zz.reshape(n_inst, n_blocks, block).sum(axis=2) / np.sqrt(counts)
    h = np.empty((n_inst, n_blocks))
    hm = np.ones(n_inst) if h0 is None else np.asarray(h0, np.float64).copy()
    garch_recursion_nb(np.ascontiguousarray(xi), hm, 1.0 - alpha - beta, alpha, beta, h)
    return h, hm


def merton_jumps(rng: np.random.Generator, shape: tuple[int, int], *, intensity: float, mean: float,
                 std: float) -> np.ndarray:
    """Compound-Poisson log-price jumps on a grid.

    Parameters
    ----------
    shape : (n_instruments, n_steps)
    intensity : float
        Expected jumps per instrument over the ``n_steps`` (one session).
    mean, std : float
        Normal distribution of each jump's log size (Merton 1976).

    Returns
    -------
    float ndarray of ``shape``: the jump part of each step's log return (mostly zeros).
    """
    n_inst, n_steps = shape
    k = rng.poisson(intensity / max(n_steps, 1), size=shape)
    out = np.zeros(shape)
    hit = k > 0
    out[hit] = rng.normal(mean * k[hit], std * np.sqrt(k[hit]))
    return out
