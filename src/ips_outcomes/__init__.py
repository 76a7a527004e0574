"""ips-outcomes: reproducible evaluation of Individual Placement and Support (IPS) outcomes."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ips-outcomes")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = ["__version__"]
