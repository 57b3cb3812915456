"""Loops: the SCAN op's meaning (spec.py), tr.scan / fori_loop / while_loop (api.py), and
tracing a loop body into a closed graph (body.py)."""
from . import fastforward  # noqa: F401  (installs the loop marks' fast-forward hook)
from .api import fori_loop, scan, until, while_loop
from .spec import ScanSpec, scan_outputs

__all__ = ["ScanSpec", "scan_outputs", "scan", "until", "fori_loop", "while_loop"]
