"""Progress bars for long work (multi-day runs, many runs, the benchmark suite).

A thin wrapper over ``tqdm.auto`` with ``disable=None``: a bar shows on an interactive
terminal (or as a widget in Jupyter) and vanishes when output goes to a file or a CI log.
tqdm is optional (``pip install "tradeflow[progress]"``); without it, and whenever the bar
is switched off, the iterable comes back unwrapped, so callers never branch on it.

The environment variable ``TRADEFLOW_PROGRESS`` overrides the default: ``0`` switches every
bar off, ``1`` forces bars on even when output is not a terminal.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Iterator
from typing import TypeVar

import numpy as np

__all__ = ["progress", "progress_enabled"]

T = TypeVar("T")

_ENV = "TRADEFLOW_PROGRESS"


def progress_enabled(show: bool | None = None) -> bool | None:
    """Resolve whether to show a bar: ``True``/``False`` forced, ``None`` when tqdm decides by the terminal.

    An explicit ``show`` wins over ``TRADEFLOW_PROGRESS``; the variable wins over the default.
    """
    if show is not None:
        if not isinstance(show, bool | np.bool_):
            raise ValueError(f"The 'progress' parameter must be True, False or None. Got {show!r} instead.")
        return bool(show)
    env = os.environ.get(_ENV, "").strip().lower()
    if env in ("0", "false", "no", "off"):
        return False
    if env in ("1", "true", "yes", "on"):
        return True
    return None


def _tqdm():
    """``tqdm.auto.tqdm`` or ``None`` when tqdm is not installed (imported on first use only)."""
    try:
        with warnings.catch_warnings():
            # without ipywidgets tqdm.auto falls back to the text bar and says so; that is fine here
            warnings.simplefilter("ignore")
            from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm


def progress(iterable: Iterable[T], *, total: int | None = None, desc: str | None = None, unit: str = "it",
             show: bool | None = None, leave: bool = False, min_items: int = 0) -> Iterator[T] | Iterable[T]:
    """Wrap ``iterable`` in a progress bar when that makes sense.

    Parameters
    ----------
    iterable : iterable
    total : int, optional
        Number of items, when ``len(iterable)`` does not exist.
    desc : str, optional
        The bar's label, e.g. ``"desk-days"``.
    unit : str, default="it"
    show : bool or None, default=None
        ``None``: show on a terminal or in Jupyter, stay silent otherwise (tqdm's ``disable=None``).
        ``True``/``False`` force it on or off.
    leave : bool, default=False
        Keep the finished bar on screen.
    min_items : int, default=0
        No bar for fewer items than this (a one-day run needs none); needs ``total`` or ``len()``.

    Returns
    -------
    iterable
        The same items in the same order.

    Examples
    --------
    >>> from tradeflow.progress import progress
    >>> list(progress(range(3), desc="days", show=False))
    [0, 1, 2]
    """
    enabled = progress_enabled(show)
    if enabled is False:
        return iterable
    n = total if total is not None else (len(iterable) if hasattr(iterable, "__len__") else None)
    if n is not None and n < min_items:
        return iterable
    tqdm = _tqdm()
    if tqdm is None:
        return iterable
    # tqdm: disable=None means "off when the stream is not a tty"; disable=False forces the bar on
    return tqdm(iterable, total=total, desc=desc, unit=unit, leave=leave, disable=None if enabled is None else False)
