"""depotdispatch: day-of-operations dispatch for electric and mixed bus depots."""

__version__ = "0.1.0"
