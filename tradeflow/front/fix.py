"""FIX 4.4 export: NewOrderSingle (35=D) / OrderCancelReplaceRequest (35=G) and ExecutionReport (35=8).

The run's orders and order events (``RunResult.records["orders"]`` / ``["events"]``) become
tag=value messages with a correct BodyLength (9) and CheckSum (10), for tools that speak FIX.
Execution reports carry FIX's quantities: CumQty (14) + LeavesQty (151) = OrderQty (38) while an
order works or when it is filled; a cancelled, expired or rejected order reports LeavesQty 0.
Orders name their venue as ExDestination (100) and fills as LastMkt (30), both ISO 10383 MICs.

The messages are built column-wise: every field is a numpy string column (integers converted
in C, prices formatted once per distinct value, timestamps from lookup tables of digits),
concatenated message-wide with ``numpy.strings``; BodyLength and CheckSum are read off the
UTF-8 bytes of all messages at once. A default desk-day (~100k orders, ~250k events) exports
in about a second (see ``benchmarks/bench_front.py``, ``front.fix_export``).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence

import numpy as np

from tradeflow.schema import NS_PER_DAY, EventKind, OrderOrigin, OrderType, TimeInForce

__all__ = ["SOH", "fix_messages", "parse_fix"]

SOH = "\x01"
_EXEC_TYPE = {EventKind.ACCEPTED: "0", EventKind.PARTIALLY_FILLED: "F", EventKind.FILLED: "F",
              EventKind.CANCELLED: "4", EventKind.EXPIRED: "C", EventKind.REJECTED: "8"}
_ORD_STATUS = {EventKind.ACCEPTED: "0", EventKind.PARTIALLY_FILLED: "1", EventKind.FILLED: "2",
               EventKind.CANCELLED: "4", EventKind.EXPIRED: "C", EventKind.REJECTED: "8"}
_TIF = {TimeInForce.DAY: "0", TimeInForce.IOC: "3", TimeInForce.FOK: "4"}

_BEGIN = f"8=FIX.4.4{SOH}9="
_BEGIN_SUM = sum(_BEGIN.encode()) + ord(SOH)  # bytes of the header around the BodyLength digits
_MS_PER_DAY = NS_PER_DAY // 1_000_000
_DIGITS3 = [f"{i:03d}" for i in range(1000)]
_CLOCK: list[np.ndarray] = []  # "HH:MM:SS." of each second of the day, built on first use


def _lookup(table: dict, n_codes: int) -> np.ndarray:
    """A code -> FIX value object array (codes are small non-negative ints; missing codes are None)."""
    out = np.full(n_codes, None, dtype=object)
    for code, value in table.items():
        out[int(code)] = value
    return out


_EXEC_TYPE_OF = _lookup(_EXEC_TYPE, max(EventKind) + 1)
_ORD_STATUS_OF = _lookup(_ORD_STATUS, max(EventKind) + 1)
_TIF_OF = _lookup(_TIF, max(TimeInForce) + 1)


def _codes(values: np.ndarray, table: np.ndarray, field: str) -> np.ndarray:
    """Look codes up in a FIX value table; an unknown code is a ValueError naming the field."""
    v = np.asarray(values, np.int64)
    bad = (v < 0) | (v >= table.size)
    bad[~bad] = table[v[~bad]] == None  # noqa: E711 (element-wise on an object array)
    if np.any(bad):
        raise ValueError(f"The '{field}' field holds codes with no FIX value: {sorted(set(v[bad].tolist()))}.")
    return table[v]


def _names(ids: np.ndarray, names: Sequence[str], what: str) -> np.ndarray:
    """``names[ids]`` as an object array, with a clear error for ids beyond ``names``."""
    ids = np.asarray(ids, np.int64)
    if ids.size and (ids.min() < 0 or ids.max() >= len(names)):
        raise ValueError(f"The '{what}' parameter of fix_messages has {len(names)} entries but the records use "
                         f"ids from {int(ids.min())} to {int(ids.max())}.")
    table = np.empty(len(names), dtype=object)
    table[:] = [str(x) for x in names]
    return table[ids]


def _px(x: np.ndarray) -> np.ndarray:
    """Prices as ``%.10g`` strings (object array), formatted once per distinct value."""
    x = np.asarray(x, np.float64)
    uniq, inv = np.unique(x, return_inverse=True)
    table = np.empty(uniq.size, dtype=object)
    table[:] = [f"{v:.10g}" for v in uniq.tolist()]
    return table[inv.reshape(-1)]


def _ts(ns: np.ndarray) -> np.ndarray:
    """UTC timestamps as FIX UTCTimestamp ``YYYYMMDD-HH:MM:SS.sss`` (truncated to the millisecond), object array.

    The date comes once per distinct day, the clock from a table of the day's 86,400 seconds,
    the milliseconds from a table of 1,000: two vectorised concatenations.
    """
    if not _CLOCK:
        clock = np.empty(86_400, dtype=object)
        clock[:] = [f"{h:02d}:{m:02d}:{s:02d}." for h in range(24) for m in range(60) for s in range(60)]
        _CLOCK.append(clock)
    ms = np.asarray(ns, np.int64) // 1_000_000
    day, ms_of_day = np.divmod(ms, _MS_PER_DAY)
    sec, milli = np.divmod(ms_of_day, 1000)
    days, inv = np.unique(day, return_inverse=True)
    epoch = _dt.date(1970, 1, 1)
    dates = np.empty(days.size, dtype=object)
    dates[:] = [(epoch + _dt.timedelta(days=d)).strftime("%Y%m%d-") for d in days.tolist()]
    millis = np.empty(1000, dtype=object)
    millis[:] = _DIGITS3
    return dates[inv.reshape(-1)] + _CLOCK[0][sec] + millis[milli]


def _running_notional(k: np.ndarray, notional: np.ndarray) -> np.ndarray:
    """Per order, the running sum of fill notional in event order (sequential sums, as a loop would add)."""
    m = k.shape[0]
    if m == 0:
        return np.zeros(0, np.float64)
    order = np.argsort(k, kind="stable")  # events grouped by order, in event order within each
    ks = k[order]
    first = np.flatnonzero(np.r_[True, ks[1:] != ks[:-1]])
    rank = np.arange(m) - np.repeat(first, np.diff(np.r_[first, m]))
    vals = notional[order]
    acc = vals.copy()
    # one vectorised step per rank: the r-th event of every order adds to the sum at its (r-1)-th
    by_rank = np.argsort(rank, kind="stable")
    bounds = np.r_[0, np.cumsum(np.bincount(rank))]
    for r in range(1, bounds.size - 1):
        at = by_rank[bounds[r]:bounds[r + 1]]
        acc[at] = acc[at - 1] + vals[at]
    out = np.empty(m, np.float64)
    out[order] = acc
    return out


def _optional(mask: np.ndarray, make) -> np.ndarray:
    """An object column of ``make(rows)`` where ``mask`` holds and ``""`` elsewhere (optional fields)."""
    out = np.full(mask.shape[0], "", dtype=object)
    rows = np.flatnonzero(mask)
    if rows.size:
        out[rows] = make(rows)
    return out


def fix_messages(orders: np.ndarray, events: np.ndarray, symbols: Sequence[str], currencies: Sequence[str],
                 *, venues: Sequence[str] | None = None, sender: str = "TRADEFLOW",
                 target: str = "VENUE") -> list[str]:
    """FIX 4.4 messages for a run's orders and their lifecycle events, in time order.

    Parameters
    ----------
    orders : ORDER_DT records
    events : ORDER_EVENT_DT records (the middle office's accepted/rejected/fill/cancel/expiry events)
    symbols : sequence of str
        Symbol of each instrument id.
    currencies : sequence of str
        Currency of each instrument id.
    venues : sequence of str, optional
        MIC of each venue id (``RunResult.venues``): orders carry ExDestination (100) and fill
        reports LastMkt (30). Without it neither tag is written.
    sender, target : str
        SenderCompID (49) / TargetCompID (56) of the desk's messages; execution reports go the
        other way.

    Returns
    -------
    list of str, SOH-delimited messages: each order's NewOrderSingle (or OrderCancelReplaceRequest
    when it replaces an order, ``origin`` = REPLACE, with OrigClOrdID 41; an algo child carries its
    parent as SecondaryClOrdID 526 = ``P<parent_id>``) followed, in time order, by
    its ExecutionReports. Messages at the same time keep orders before events, each in record order.

    Raises
    ------
    ValueError
        If an event names an order not in ``orders``, or a code (event kind, time in force) or an
        id (instrument, venue) has no value to write.

    Examples
    --------
    >>> import tradeflow
    >>> run = tradeflow.simulate(tradeflow.SimulationConfig.from_dict({"flow": {"orders_per_day": 300}}))
    >>> msgs = run.fix_messages()
    >>> parse_fix(msgs[0])[35], parse_fix(msgs[0])[100] in run.venues
    ('D', True)
    """
    n, m = orders.shape[0], events.shape[0]
    if n + m == 0:
        return []
    oid = orders["order_id"].astype(np.int64)
    # the order row of each event
    by_id = np.argsort(oid, kind="stable")
    pos = np.minimum(np.searchsorted(oid[by_id], events["order_id"]), max(n - 1, 0))
    if m and (n == 0 or np.any(oid[by_id][pos] != events["order_id"])):
        missing = np.setdiff1d(events["order_id"], oid)
        raise ValueError(f"The 'events' parameter of fix_messages names orders not in 'orders': "
                         f"{missing[:5].tolist()}.")
    k = by_id[pos] if n else np.zeros(0, np.int64)

    sym = _names(orders["instrument"], symbols, "symbols")
    ccy = _names(orders["instrument"], currencies, "currencies")
    side = np.where(orders["side"] > 0, "1", "2").astype(object)
    venue = _names(orders["venue"], venues, "venues") if venues is not None else None

    # time order of all messages: (ts, orders before events, record order) -> MsgSeqNum (34)
    ts = np.r_[orders["ts"].astype(np.int64), events["ts"].astype(np.int64)]
    sort = np.lexsort((np.r_[np.arange(n), np.arange(m)], np.r_[np.zeros(n), np.ones(m)], ts))
    seq = np.empty(n + m, np.int64)
    seq[sort] = np.arange(1, n + m + 1)
    ts_s = _ts(ts)

    # ---- NewOrderSingle / OrderCancelReplaceRequest: optional fields as columns, one template per message
    replace = orders["origin"] == OrderOrigin.REPLACE
    child = (orders["origin"] == OrderOrigin.ALGO_CHILD) & ~replace
    limit = orders["order_type"] == OrderType.LIMIT
    parent = orders["parent_id"]
    o41 = _optional(replace, lambda r: [f"41={p}{SOH}" for p in parent[r].tolist()])
    o44 = _optional(limit, lambda r: [f"44={p}{SOH}" for p in _px(orders["limit_price"][r]).tolist()])
    o526 = _optional(child, lambda r: [f"526=P{p}{SOH}" for p in parent[r].tolist()])
    o100 = ("100=" + venue + SOH) if venue is not None else np.full(n, "", dtype=object)
    tif = _codes(orders["tif"], _TIF_OF, "tif")
    order_type = np.where(orders["order_type"] == OrderType.MARKET, "1", "2")
    msg_type = np.where(replace, "G", "D")
    ids, qtys = oid.tolist(), orders["qty"].tolist()
    order_text = [
        f"35={mt}{SOH}49={sender}{SOH}56={target}{SOH}34={sq}{SOH}52={t}{SOH}11={i}{SOH}{x41}1=BOOK{b}{SOH}"
        f"55={sy}{SOH}54={sd}{SOH}60={t}{SOH}38={q}{SOH}40={ot}{SOH}59={tf}{SOH}{x44}15={cy}{SOH}{x100}"
        f"448=CLIENT{c}{SOH}{x526}"
        for mt, sq, t, i, x41, b, sy, sd, q, ot, tf, x44, cy, x100, c, x526 in zip(
            msg_type.tolist(), seq[:n].tolist(), ts_s[:n].tolist(), ids, o41.tolist(), orders["book"].tolist(),
            sym.tolist(), side.tolist(), qtys, order_type.tolist(), tif.tolist(), o44.tolist(), ccy.tolist(),
            o100.tolist(), orders["client"].tolist(), o526.tolist(), strict=True)]

    # ---- ExecutionReport
    kind = events["kind"].astype(np.int64)
    exec_type = _codes(kind, _EXEC_TYPE_OF, "kind")
    fill = (kind == EventKind.FILLED) | (kind == EventKind.PARTIALLY_FILLED)
    cum = events["cum_qty"].astype(np.int64)
    notional = np.where(fill, events["qty"].astype(np.float64) * events["price"].astype(np.float64), 0.0)
    avg = np.divide(_running_notional(k, notional), cum, out=np.zeros(m), where=cum > 0)
    leaves = np.where(fill | (kind == EventKind.ACCEPTED), orders["qty"][k].astype(np.int64) - cum, 0)
    last_mkt = ("30=" + venue[k] + SOH) if venue is not None else np.full(m, "", dtype=object)
    ev_qty, ev_px = events["qty"], events["price"]
    o32 = _optional(fill, lambda r: [f"32={q}{SOH}31={p}{SOH}{lm}" for q, p, lm in zip(
        ev_qty[r].tolist(), _px(ev_px[r]).tolist(), last_mkt[r].tolist(), strict=True)])
    reasons = events["reason"]
    o58 = _optional(kind == EventKind.REJECTED,
                    lambda r: [f"103=99{SOH}58=REASON{x}{SOH}" for x in reasons[r].tolist()])
    kid = oid[k].tolist()
    event_text = [
        f"35=8{SOH}49={target}{SOH}56={sender}{SOH}34={sq}{SOH}52={t}{SOH}37={i}{SOH}11={i}{SOH}17=E{e}{SOH}"
        f"150={et}{SOH}39={st}{SOH}55={sy}{SOH}54={sd}{SOH}38={q}{SOH}{x32}14={cq}{SOH}151={lv}{SOH}6={a}{SOH}"
        f"60={t}{SOH}{x58}"
        for sq, t, i, e, et, st, sy, sd, q, x32, cq, lv, a, x58 in zip(
            seq[n:].tolist(), ts_s[n:].tolist(), kid, events["event_id"].tolist(), exec_type.tolist(),
            _ORD_STATUS_OF[kind].tolist(), sym[k].tolist(), side[k].tolist(), orders["qty"][k].tolist(),
            o32.tolist(), cum.tolist(), leaves.tolist(), _px(avg).tolist(), o58.tolist(), strict=True)]

    # ---- standard header and trailer: BodyLength and CheckSum from the bytes of all messages at once
    texts = np.empty(n + m, dtype=object)
    texts[:n] = order_text
    texts[n:] = event_text
    texts = texts[sort].tolist()
    body_len, body_sum = _byte_len_and_sum(texts)
    # the BodyLength digits are part of the checksummed header
    rest = body_len // 10
    digits_sum = body_len % 10 + ord("0")
    while rest.any():
        live = rest > 0
        digits_sum[live] += rest[live] % 10 + ord("0")
        rest //= 10
    checksum = ((body_sum + digits_sum + _BEGIN_SUM) % 256).tolist()
    return [f"{_BEGIN}{ln}{SOH}{t}10={_DIGITS3[c]}{SOH}" for ln, t, c in zip(body_len.tolist(), texts, checksum,
                                                                           strict=True)]


def _byte_len_and_sum(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """UTF-8 byte length and byte sum (mod 256) of each string, read off one buffer."""
    joined = "".join(texts)
    if joined.isascii():
        length = np.fromiter(map(len, texts), np.int64, count=len(texts))
        data = joined.encode("ascii")
    else:
        raw = [t.encode() for t in texts]
        length = np.fromiter(map(len, raw), np.int64, count=len(raw))
        data = b"".join(raw)
    # running byte sum mod 256 (uint8 wraps), read at each message's end: the CheckSum's raw material
    running = np.cumsum(np.frombuffer(data, np.uint8), dtype=np.uint8)
    ends = np.cumsum(length) - 1
    before = np.r_[np.uint8(0), running[ends[:-1]]]
    return length, (running[ends] - before).astype(np.int64)  # mod 256


def parse_fix(message: str) -> dict[int, str]:
    """Tags and values of one SOH-delimited FIX message (the last occurrence of a repeated tag wins)."""
    out: dict[int, str] = {}
    for field in message.strip(SOH).split(SOH):
        tag, _, value = field.partition("=")
        out[int(tag)] = value
    return out
