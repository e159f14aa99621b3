"""How much memory a run of a config needs, estimated from the config alone, and the up-front refusal.

The estimate counts the arrays whose size a config sets (orders and their events, fills and
ledger rows; the quote grid; the books' price levels and background flow; VaR scenarios; the
per-client and per-book state) with a factor of two for temporaries. It is an order of
magnitude, not a budget: its job is to refuse a config of 10⁹-10¹² orders, clients, levels or
scenarios before the run starts, instead of a ``MemoryError`` (or swapping) hours in.
"""

from __future__ import annotations

import logging
import math
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tradeflow.config.simulation import SimulationConfig

__all__ = ["estimate_memory", "available_memory", "memory_limit", "check_memory", "MemoryEstimateError"]

_log = logging.getLogger(__name__)

# bytes kept per client order: the order (120) and its parents' share, ~3 order events (64), ~2 fills
# (64) and executions (56), the back office's bookings, confirmations, obligations, ledger rows and
# settlement events (~600): about 1 kB, 3 kB with the working copies the rooms make on the way (the
# default 100,000-order day peaks at 1.18 GB resident, 0.32 GB of it the imports; this estimates 1.0 GB)
_BYTES_PER_ORDER = 3_000
_BYTES_PER_BACKGROUND_EVENT = 48  # six 8-byte columns per background book event
_BYTES_PER_LEVEL = 64  # a book's per-price-level arrays
_TEMPORARIES = 2.0


class MemoryEstimateError(ValueError):
    """A config whose estimated memory need exceeds what the machine has available.

    A ``ValueError``; ``estimate`` and ``available`` hold the two figures in bytes and ``field`` the
    config field that contributes most.
    """

    def __init__(self, message: str, *, estimate: int, available: int, field: str) -> None:
        super().__init__(message)
        self.estimate, self.available, self.field = estimate, available, field


def _human(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB", "TB", "PB"):
        if abs(n) < 1000 or unit == "PB":
            return f"{n:.3g} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1000.0
    raise AssertionError  # unreachable


def estimate_memory(config: SimulationConfig) -> dict[str, float]:
    """Bytes a run of ``config`` needs, by the config field that drives each part.

    Parameters
    ----------
    config : SimulationConfig

    Returns
    -------
    dict of str to float
        ``{"flow.orders_per_day": bytes, ...}`` plus ``"total"``; the parts are rough (an order
        of magnitude) and include a factor of two for temporaries.
    """
    m, f, x, r = config.market, config.flow, config.execution, config.risk
    days = float(config.days)
    n_inst = float(len(m.symbols))
    n_ccy = float(len(m.currencies))
    session_s = (m.session_close_ns - m.session_open_ns) / 1e9
    n_steps = session_s / m.step_seconds
    orders = f.orders_per_day * days * (1.0 + f.algo_share * f.algo_slices)
    parts = {
        "flow.orders_per_day": orders * _BYTES_PER_ORDER,
        # mid, bid, ask, the venue's quotes and impact state per instrument per grid step, every day kept
        "market.step_seconds": n_steps * days * (n_inst * 5 + n_ccy) * 8.0,
        "risk.n_scenarios": float(r.n_scenarios) * (n_inst + n_ccy + 2.0 * f.n_books + 4.0) * 8.0,
        "flow.n_clients": float(f.n_clients) * (n_inst * 2 * 24 + 16),
        "flow.n_books": float(f.n_books) * n_inst * 40 * 8.0 + float(f.n_traders + f.n_counterparties) * 64,
        "config.pnl_interval_seconds": session_s / config.pnl_interval_seconds * days * f.n_books * n_inst * 200,
    }
    if x.venue == "book":
        prices = [i.price / i.tick_size for i in m.instruments]
        levels = sum(22.0 * x.book_depth_ticks + 0.1 * p + 2 * p * 0.2 for p in prices)
        parts["execution.book_depth_ticks"] = levels * _BYTES_PER_LEVEL
        parts["execution.book_events_per_second"] = (x.book_events_per_second * session_s * n_inst
                                                      * _BYTES_PER_BACKGROUND_EVENT * 2)
        parts["execution.book_lifetime_seconds"] = (n_inst * x.book_events_per_second * x.book_cancel_share
                                                     * x.book_lifetime_seconds * 32.0)
        if x.tape:  # the session's tape buffer (29 B per order event that can trade) and the kept trades (48 B)
            placed = x.book_events_per_second * session_s * n_inst * (1.0 - x.book_cancel_share)
            parts["execution.tape"] = placed * (29.0 + 48.0 * 0.3 * days)
        if x.depth_levels > 0:  # 4 int64 per level and side per depth snapshot, kept as 32 B rows
            snaps = session_s / max(x.depth_every_seconds, m.step_seconds) * n_inst * 2.0 * x.depth_levels
            parts["execution.depth_levels"] = snaps * (16.0 + 32.0 * days)
    parts = {k: v * _TEMPORARIES for k, v in parts.items()}
    parts["total"] = float(sum(parts.values()))
    return parts


def _system_memory(meminfo_key: str, psutil_field: str, sysconf_pages: str) -> int | None:
    """One figure of the machine's memory in bytes: Linux ``/proc/meminfo``, else psutil (macOS,
    Windows), else ``os.sysconf``; None if none of them knows it."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith(meminfo_key + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        import psutil  # optional: macOS, Windows
        return int(getattr(psutil.virtual_memory(), psutil_field))
    except ImportError:
        pass
    try:
        return int(os.sysconf(sysconf_pages)) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        return None


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation now (Linux ``MemAvailable``), or None if unknown.

    A momentary figure: on a shared machine it moves with everyone else's load, so
    :func:`check_memory` refuses against :func:`memory_limit` and only logs a warning against this.
    """
    return _system_memory("MemAvailable", "available", "SC_AVPHYS_PAGES")


def _cgroup_limit() -> int | None:
    """The memory limit of this process's container (cgroup v2 ``memory.max``, v1 ``limit_in_bytes``)."""
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(path) as fh:
                text = fh.read().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 2**60:  # "max" or a near-2**63 value: no limit
            return int(text)
    return None


def memory_limit() -> int | None:
    """Bytes of memory this process can ever hold: the machine's physical memory, or its container's
    limit when lower; None if unknown.

    The bound :func:`check_memory` refuses against by default: a config above it cannot run here
    whatever else the machine is doing, while one above the momentary :func:`available_memory` may
    well run once other work ends (a refusal then would be a false alarm on a busy machine).
    """
    total = _system_memory("MemTotal", "total", "SC_PHYS_PAGES")
    limit = _cgroup_limit()
    if limit is not None:
        total = limit if total is None else min(total, limit)
    return total


def check_memory(config: SimulationConfig, *, available: int | None = None, where: str = "simulate",
                 prices=None) -> int:
    """Refuse a config whose estimated memory need exceeds the machine's available memory.

    Parameters
    ----------
    config : SimulationConfig
    available : int, optional
        Bytes the run may use; defaults to :func:`memory_limit`, the memory this process can ever
        hold (no check if that is unknown). A config above the momentary :func:`available_memory`
        but within the limit is logged as a warning, not refused.
    where : str, default="simulate"
        The entry point named in the error.
    prices : DataFrame, optional
        Validated user prices (instrument columns): with the book venue, each instrument's book
        spans the price levels of their range.

    Returns
    -------
    int
        The estimate in bytes.

    Raises
    ------
    MemoryEstimateError
        A ``ValueError`` naming the estimate, the available memory and the field that
        contributes most, with its value.
    """
    parts = estimate_memory(config)
    total = parts.pop("total")
    if prices is not None and config.execution.venue == "book":
        ticks = {i.symbol: i.tick_size for i in config.market.instruments}
        levels = {c: (float(prices[c].max()) - float(prices[c].min())) / ticks[c] for c in prices.columns if c in ticks}
        if levels:
            worst = max(levels, key=lambda c: levels[c])
            parts[f"prices[{worst!r}]"] = sum(levels.values()) * _BYTES_PER_LEVEL * _TEMPORARIES
            total += parts[f"prices[{worst!r}]"]
    if available is None:
        available = memory_limit()
        now = available_memory()
        if now is not None and math.isfinite(total) and available is not None and now < total <= available:
            _log.warning("%s: the config needs about %s of memory, more than the %s available now; "
                         "it may swap or run out of memory if the machine stays this busy",
                         where, _human(total), _human(now))
    if available is not None and (not math.isfinite(total) or total > available):
        field = max(parts, key=lambda k: parts[k])
        section, _, name = field.partition(".")
        if field.startswith("prices["):
            col = prices[field[8:-2]]
            value = f"a range {float(col.min())!r}..{float(col.max())!r}"
        else:
            value = getattr(config, name) if section == "config" else getattr(getattr(config, section), name)
        raise MemoryEstimateError(
            f"The config passed to {where} needs about {_human(total)} of memory, more than the "
            f"{_human(available)} of memory available to this process on this machine; most of it from "
            f"{field}={value!r} "
            f"(about {_human(parts[field])}). Reduce it (or split the run, e.g. with run_many).",
            estimate=int(min(total, 2**63 - 1)), available=int(available), field=field)
    return int(total)
