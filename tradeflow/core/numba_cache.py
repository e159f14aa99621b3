"""numba's on-disk cache, keyed by every kernel source and the data model.

numba's own cache checks only the file a kernel is defined in: a kernel that calls a kernel
of another file, or reads an enum code from :mod:`tradeflow.schema`, keeps its stale machine
code when that other file changes. :func:`install` puts a cache locator in front of numba's
own for tradeflow's files only: it stores where numba would (``__pycache__`` beside the
source, or under a user-set ``NUMBA_CACHE_DIR``) but stamps each entry with
:func:`kernel_tree_stamp`, a hash of every tradeflow source that defines kernels or codes
(``@njit`` modules, the data model, the low layer). Any change there makes every tradeflow
kernel recompile once; a change anywhere else keeps the cache.

The stamp is computed on the first kernel compilation or cache lookup, not at import
(reading the package's sources: a few milliseconds). Importing this module installs the
locator; ``import tradeflow`` does so before any kernel module is imported.
"""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

__all__ = ["install", "kernel_tree_stamp", "kernel_sources"]

PACKAGE_DIR = Path(__file__).resolve().parent.parent
_ALWAYS = ("schema", "core")  # the data model and the low layer: codes and helpers kernels read


def kernel_sources(root: str | os.PathLike = PACKAGE_DIR) -> list[Path]:
    """The sources whose change must recompile every kernel: ``@njit`` modules, the data model, the low layer.

    Parameters
    ----------
    root : path-like, default: the installed ``tradeflow`` package
        A ``tradeflow`` package directory.

    Returns
    -------
    list of pathlib.Path
        Sorted.

    Examples
    --------
    >>> names = [p.name for p in kernel_sources()]
    >>> "enums.py" in names and "registry.py" in names
    True
    """
    root = Path(root)
    out = []
    for path in root.rglob("*.py"):
        rel = path.relative_to(root).parts
        if rel[0] in _ALWAYS:
            out.append(path)
            continue
        try:
            text = path.read_bytes()
        except OSError:  # pragma: no cover - removed while scanning
            continue
        if b"njit" in text:
            out.append(path)
    return sorted(out)


def kernel_tree_stamp(root: str | os.PathLike = PACKAGE_DIR) -> str:
    """A hash of the contents of :func:`kernel_sources` (and their paths relative to ``root``).

    >>> len(kernel_tree_stamp())
    16
    """
    root = Path(root)
    h = hashlib.blake2b(digest_size=8)
    for path in kernel_sources(root):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


_stamp = functools.cache(kernel_tree_stamp)


def _make_locator_class():
    from numba.core import caching

    class TradeflowCacheLocator(caching._CacheLocator):
        """numba's locator for the file, with the source stamp widened to the whole kernel tree."""

        def __init__(self, inner, root: Path) -> None:
            self._inner = inner
            self._root = root

        def ensure_cache_path(self):
            return self._inner.ensure_cache_path()

        def get_cache_path(self):
            return self._inner.get_cache_path()

        def get_source_stamp(self):
            return (self._inner.get_source_stamp(), "tradeflow", _stamp(self._root))

        def get_disambiguator(self):
            return self._inner.get_disambiguator()

        @classmethod
        def from_function(cls, py_func, py_file):
            try:
                path = Path(py_file).resolve()
                root = next(p for p in path.parents if p.name == "tradeflow" and (p / "__init__.py").is_file())
            except (OSError, StopIteration):
                return None  # not a tradeflow kernel: numba's own locators decide
            for other in _impl_class()._locator_classes:
                if other is cls:
                    continue
                inner = other.from_function(py_func, py_file)
                if inner is not None:
                    return cls(inner, root)
            return None

    return TradeflowCacheLocator


def _impl_class():
    from numba.core import caching
    impl = getattr(caching, "CacheImpl", None) or caching._CacheImpl  # renamed in numba 0.59
    impl._locator_classes  # noqa: B018 - the attribute this module extends
    return impl


def _tolerate_moved_types() -> None:
    """An index whose overloads name a class that moved (a kernel module split: the pickled signature
    refers to ``tradeflow.middle._kernels.Desk``) is a cache miss, not an ``ImportError``: numba
    unpickles the overloads before it compares the stamp."""
    from numba.core import caching

    cls = getattr(caching, "IndexDataCacheFile", None)
    load = getattr(cls, "_load_index", None)
    if load is None or getattr(load, "_tradeflow", False):  # pragma: no cover - another numba
        return

    def _load_index(self):
        try:
            return load(self)
        except (ImportError, AttributeError):
            return {}

    _load_index._tradeflow = True
    cls._load_index = _load_index


def install() -> bool:
    """Put the tradeflow locator first in numba's list (once); False if this numba has no such list."""
    try:
        impl = _impl_class()
        classes = impl._locator_classes
    except (ImportError, AttributeError):  # pragma: no cover - a numba without the locator list
        return False
    _tolerate_moved_types()
    if any(getattr(c, "__name__", "") == "TradeflowCacheLocator" for c in classes):
        return True
    impl._locator_classes = [_make_locator_class(), *classes]
    return True


install()
