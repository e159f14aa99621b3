"""The installed tradeflow version (``0.0.0+local`` when running from a source tree)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("tradeflow")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0+local"
