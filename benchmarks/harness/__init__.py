"""The generic part of the suite: cases, peers, timing, checking, tables."""
from .core import Bench, Case, Context, Group, Reported, Skip, spin
from .systems import peer_of

__all__ = ["Bench", "Case", "Context", "Group", "Reported", "Skip", "peer_of", "spin"]
