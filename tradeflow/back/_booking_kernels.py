"""Booking and confirmation kernels (numba): the clean records of a day's fills, one row pass each.

Filling a record array field by field from the fills reads and writes every row once per
field (strided); these kernels write every field of a row at once. Faults and
counterparties' differences are then applied to the few rows they touch, as before.
"""

from __future__ import annotations

from numba import njit


@njit(cache=True, nogil=True)
def bookings_nb(fills, fx_rate, first_id, out):
    """Clean bookings (BOOKING_DT, ``out`` zeroed) of ``fills``: each fill copied straight through, booked at its
    trade time at the market ``fx_rate``, ids from ``first_id``."""
    for k in range(fills.shape[0]):
        out[k]["booking_id"] = first_id + k
        out[k]["fill_id"] = fills[k]["fill_id"]
        out[k]["ts"] = fills[k]["ts"]
        out[k]["ts_booked"] = fills[k]["ts"]
        out[k]["book"] = fills[k]["book"]
        out[k]["instrument"] = fills[k]["instrument"]
        out[k]["counterparty"] = fills[k]["counterparty"]
        out[k]["side"] = fills[k]["side"]
        out[k]["qty"] = fills[k]["qty"]
        out[k]["price"] = fills[k]["price"]
        out[k]["fee"] = fills[k]["fee"]
        out[k]["fx_rate"] = fx_rate[k]


@njit(cache=True, nogil=True)
def confirmations_nb(fills, status, settle_dates, trade_date, first_id, out):
    """Confirmations (CONFIRMATION_DT, ``out`` zeroed) of ``fills`` with the counterparty's answer ``status`` and
    their terms equal to ours (``settle_dates`` ours), resolved on ``trade_date``: the caller then writes the
    differing terms and later resolutions of the rows that have them."""
    for k in range(fills.shape[0]):
        out[k]["confirmation_id"] = first_id + k
        out[k]["fill_id"] = fills[k]["fill_id"]
        out[k]["trade_date"] = trade_date
        out[k]["counterparty"] = fills[k]["counterparty"]
        out[k]["status"] = status[k]
        out[k]["our_qty"] = fills[k]["qty"]
        out[k]["their_qty"] = fills[k]["qty"]
        out[k]["our_price"] = fills[k]["price"]
        out[k]["their_price"] = fills[k]["price"]
        out[k]["our_settle_date"] = settle_dates[k]
        out[k]["their_settle_date"] = settle_dates[k]
        out[k]["resolved_date"] = trade_date
