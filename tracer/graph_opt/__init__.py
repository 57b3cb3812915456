"""Graph optimizer: small declarative rewrites, ordered passes, one engine.

`optimize(graph) -> graph` runs PIPELINE (pipeline.py). Rules live in
canonicalize.py (exact algebraic and layout identities), fold.py (constant
folding with the reference backend's numpy implementations) and specialize.py
(pow(x, 2) -> x*x, gemm folding of SGD updates). The engine is engine.py.
"""
from .engine import Context, Rule, run_pass
from .pipeline import PIPELINE, enabled, optimize, set_enabled

__all__ = ["PIPELINE", "Context", "Rule", "enabled", "optimize", "run_pass", "set_enabled"]
