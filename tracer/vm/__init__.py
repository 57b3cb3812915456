"""The VM: a schedule of steps with buffer lifetimes, run by generated code.

`schedule` orders a graph's materialized values and frees each buffer after its
last reader; `executable` is the Python side of one call (argument checks,
output allocation, one foreign call, error mapping).
"""
from .executable import CallError, NativeExecutable
from .schedule import Schedule, Step, build_schedule

__all__ = ["CallError", "NativeExecutable", "Schedule", "Step", "build_schedule"]
