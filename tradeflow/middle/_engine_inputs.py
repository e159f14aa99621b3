"""RiskEngine's input path: a batch from outside (a DataFrame, a dict of array-likes or a structured
array) read once and checked with vectorized tests before the engine's state is touched."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tradeflow.schema import RejectReason

_INT64_SAFE = float(2 ** 62)  # integral floats beyond this do not convert to int64 exactly
_SIDE_WORDS = {"BUY": 1, "B": 1, "1": 1, "+1": 1, "SELL": -1, "S": -1, "-1": -1}
_REASON_NAMES = [r.name for r in RejectReason]
_REASON_POS = np.zeros(max(int(r) for r in RejectReason) + 1, np.int8)  # code -> category position
_REASON_POS[[int(r) for r in RejectReason]] = np.arange(len(_REASON_NAMES))


def kernel_batch(batch_type, **fields: np.ndarray):
    """``batch_type(**fields)`` (an :class:`~tradeflow.middle._engine_kernels.OrderBatch` or ``FillBatch``)
    with every field in the one array type the batch kernels are compiled for: C-contiguous and read-only.

    A DataFrame's columns come read-only, a structured array's fields strided and the engine's own
    arrays writeable: each mix was another numba specialisation of the batch kernel (``apply_fills_nb``
    compiled 16 ways, 3-4 s each). A writeable array is frozen through a view; only a strided one is
    copied.
    """
    out = {}
    for name, a in fields.items():
        a = np.ascontiguousarray(a)
        if a.flags.writeable:
            a = a.view()
            a.flags.writeable = False
        out[name] = a
    return batch_type(**out)


class _Batch:
    """One batch from outside (a DataFrame, a dict of array-likes or a structured array), read once.

    Every column is checked with vectorized tests before the engine's state is touched; a
    malformed column raises ``ValueError`` naming it and a bad value (a record that is merely
    bad, e.g. an unknown book, is left for the kernel to refuse with a reason code).
    """

    def __init__(self, data, method: str) -> None:
        self.method = method
        if isinstance(data, pd.DataFrame):
            self.index = data.index
            self.n = len(data)
            self._get = lambda c: data[c] if c in data.columns else None
        elif isinstance(data, np.ndarray) and data.dtype.names is not None:
            if data.ndim != 1:
                raise ValueError(f"{method} takes a 1-d structured array. Got shape {data.shape}.")
            self.n = data.shape[0]
            self.index = pd.RangeIndex(self.n)
            names = data.dtype.names
            self._get = lambda c: data[c] if c in names else None
        elif isinstance(data, dict):
            lengths = {}
            for k, v in data.items():
                if np.ndim(v) == 0:
                    raise ValueError(f"{method}: column {k!r} must be an array of values, one per record. "
                                     f"Got {type(v).__name__} {v!r}.")
                lengths[k] = len(v)
            if len(set(lengths.values())) > 1:
                raise ValueError(f"{method}: the columns must have the same length. Got {lengths}.")
            self.n = next(iter(lengths.values())) if lengths else 0
            self.index = pd.RangeIndex(self.n)
            self._get = data.get
        else:
            raise TypeError(f"{method} takes a DataFrame, a dict of arrays or a structured array. "
                            f"Got {type(data).__name__}.")

    def has(self, col: str) -> bool:
        return self._get(col) is not None

    def raw(self, col: str, required: bool = True):
        v = self._get(col)
        if v is None:
            if required:
                raise ValueError(f"{self.method} needs a column {col!r}.")
            return None
        if isinstance(v, pd.Series):
            return v.array if isinstance(v.dtype, pd.CategoricalDtype | pd.api.extensions.ExtensionDtype) \
                else v.to_numpy()
        if isinstance(v, np.ndarray | pd.api.extensions.ExtensionArray):
            return v
        if isinstance(v, dict | set | str | bytes):
            raise ValueError(f"{self.method}: column {col!r} must be an array of values, one per record. "
                             f"Got {type(v).__name__}.")
        try:
            return np.asarray(v) if not isinstance(v, list) else np.array(v, dtype=object)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{self.method}: column {col!r} could not be read as an array: {exc}") from None

    def _bad(self, col: str, values, mask: np.ndarray, what: str) -> ValueError:
        j = int(np.flatnonzero(mask)[0])
        v = values[j]
        return ValueError(f"The {col!r} column of {self.method} {what}. Got {v!r} (record {j}).")

    def _numeric(self, col: str, v) -> np.ndarray:
        """Float64 values; a cell that is not a number (a string, a dict, ...) raises."""
        if isinstance(v, pd.api.extensions.ExtensionArray) and not isinstance(v.dtype, pd.CategoricalDtype):
            if pd.api.types.is_numeric_dtype(v.dtype) and not pd.api.types.is_bool_dtype(v.dtype):
                return v.to_numpy(dtype=np.float64, na_value=np.nan)
            v = np.asarray(v, dtype=object)
        v = np.asarray(v)
        if v.dtype.kind in "iuf":
            return v.astype(np.float64, copy=False)
        if v.dtype.kind == "b":
            raise ValueError(f"The {col!r} column of {self.method} must be numeric. Got booleans.")
        obj = v.astype(object) if v.dtype.kind != "O" else v
        out = pd.to_numeric(pd.Series(obj, dtype=object), errors="coerce").to_numpy(np.float64, na_value=np.nan)
        null = pd.isna(obj)
        bad = np.isnan(out) & ~null
        if bad.any():
            raise self._bad(col, obj, bad, "must hold numbers")
        isbool = np.fromiter((isinstance(x, bool | np.bool_) for x in obj), bool, len(obj)) if len(obj) else \
            np.zeros(0, bool)
        if isbool.any():
            raise self._bad(col, obj, isbool, "must hold numbers, not booleans")
        return out

    def floats(self, col: str, default: float | None = None) -> np.ndarray:
        """A float column (prices, fees): NaN and infinities pass (the kernel refuses the records)."""
        v = self.raw(col, required=default is None)
        if v is None:
            return np.full(self.n, default)
        if isinstance(v, np.ndarray) and v.dtype == np.float64:
            return v
        return self._numeric(col, v)

    def ints(self, col: str, missing: int, default: int | None = None) -> np.ndarray:
        """An integer column (ids, quantities): a missing value (NaN, None) becomes ``missing`` (the
        kernel refuses the record); a fractional, infinite or out-of-range value raises."""
        v = self.raw(col, required=default is None)
        if v is None:
            return np.full(self.n, default, np.int64)
        if isinstance(v, np.ndarray) and v.dtype.kind in "iu":
            if v.dtype.kind == "u" and v.size and v.max() > np.iinfo(np.int64).max:
                raise self._bad(col, v, v > np.iinfo(np.int64).max, "is out of range")
            return v.astype(np.int64, copy=False)
        f = self._numeric(col, v)
        null = np.isnan(f)
        bad = ~null & ((f != np.floor(f)) | (np.abs(f) > _INT64_SAFE))
        if bad.any():
            shown = np.asarray(v, dtype=object) if not isinstance(v, np.ndarray) else v
            raise self._bad(col, shown, bad, "must hold whole numbers (integers)")
        out = np.where(null, missing, f).astype(np.int64)
        return out

    def timestamps(self, col: str = "ts") -> np.ndarray:
        """int64 nanoseconds since the epoch (UTC): integers, datetimes or parseable strings; a missing
        (NaN/NaT) or unparseable timestamp raises."""
        v = self.raw(col)
        if isinstance(v, np.ndarray) and v.dtype.kind in "iu":
            return self.ints(col, 0)
        if isinstance(v, np.ndarray) and v.dtype.kind == "M":
            t = v.astype("datetime64[ns]").view(np.int64)
            nat = t == np.iinfo(np.int64).min
            if nat.any():
                raise self._bad(col, v, nat, "must not hold missing timestamps (NaT)")
            return t
        if isinstance(v, np.ndarray) and v.dtype.kind == "f":
            if np.isnan(v).any():
                raise self._bad(col, v, np.isnan(v), "must not hold missing timestamps (NaN)")
            return self.ints(col, 0)
        if isinstance(v, pd.api.extensions.ExtensionArray) and isinstance(v.dtype, pd.DatetimeTZDtype):
            t = np.asarray(v.asi8 if hasattr(v, "asi8") else v.astype("int64"), np.int64)
            if pd.isna(v).any():
                raise self._bad(col, np.asarray(v, dtype=object), np.asarray(pd.isna(v)),
                                "must not hold missing timestamps (NaT)")
            return t if v.dtype.unit == "ns" else pd.DatetimeIndex(v).as_unit("ns").asi8
        obj = np.asarray(v, dtype=object)
        null = pd.isna(obj)
        if null.any():
            raise self._bad(col, obj, null, "must not hold missing timestamps (NaN/NaT)")
        if obj.size and all(isinstance(x, int | np.integer) and not isinstance(x, bool) for x in obj):
            return self.ints(col, 0)
        try:
            t = pd.to_datetime(pd.Series(obj, dtype=object), utc=True, errors="coerce", format="mixed")
        except (TypeError, ValueError, OverflowError) as exc:
            raise ValueError(f"The {col!r} column of {self.method} holds values that are not timestamps: "
                             f"{exc}") from None
        bad = t.isna().to_numpy()
        if bad.any():
            raise self._bad(col, obj, bad, "must hold timestamps (int ns, datetimes or ISO strings)")
        return t.dt.as_unit("ns").astype("int64").to_numpy()

    def sides(self, col: str = "side") -> np.ndarray:
        """+1 / -1 (BUY/SELL, B/S or +1/-1, any case); anything else is 0 (the kernel refuses it)."""
        v = self.raw(col)
        if isinstance(v, np.ndarray) and v.dtype.kind == "i":
            # signed ints pass as they are (no copy for int64): the kernels refuse any side but +1/-1 with the
            # reason a 0 gets, and store the side of accepted records only
            return v.astype(np.int64, copy=False)
        if isinstance(v, np.ndarray) and v.dtype.kind in "uf":
            return np.where(v == 1, 1, np.where(v == -1, -1, 0)).astype(np.int64)
        codes, uniques = self.factorize(col, v)
        lut = np.array([_SIDE_WORDS.get(str(u).strip().upper(), 0) for u in uniques] + [0], np.int64)
        return lut[codes]

    def factorize(self, col: str, v) -> tuple[np.ndarray, np.ndarray]:
        """``pandas.factorize`` of a column of labels; a cell that cannot be a label (a dict, a list) raises."""
        arr = v if isinstance(v, pd.api.extensions.ExtensionArray) else np.asarray(v, dtype=object)
        try:
            return pd.factorize(arr)
        except TypeError:
            obj = np.asarray(arr, dtype=object)
            bad = np.fromiter((not isinstance(x, str | int | float | np.generic) and x is not None for x in obj),
                              bool, len(obj))
            raise self._bad(col, obj, bad if bad.any() else np.ones(len(obj), bool),
                            "must hold labels or ids") from None
