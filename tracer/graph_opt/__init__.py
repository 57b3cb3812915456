"""Graph optimizer: small declarative rewrites, ordered passes, one engine.

`optimize(graph) -> graph` runs PIPELINE (pipeline.py). Rules live in
canonicalize.py (exact algebraic and layout identities), fold.py (constant
folding with the reference backend's numpy implementations), stabilize.py
(formulas that overflow or cancel -> stable ones), branches.py (work pushed
into ifelse branches) and specialize.py (pow(x, 2) -> x*x, gemm folding of SGD
updates). The engine is engine.py. To add a rewrite: write `rule(node, ctx)`
in the file of its kind, docstring stating the identity, append it to that
file's RULES, and add a case (graph before and after, values) to
tests/graph_opt.

Loops are rewritten whole, not node by node (a SCAN is read by several
SCAN_OUT nodes): scan.py and scan_motion.py hold `rewrite(scan, outer)`
functions over loop_view.py's `Loop` (merge, prune, last-only, invariant and
per-step products out of the loop), run as the `loops` pass, a Graph -> Graph
function; `loop_bodies` runs the pipeline on each loop's body.
"""
from .engine import Context, Rule, run_pass
from .pipeline import (PASS_NAMES, PIPELINE, check_pass_names, disabled_passes, enabled,
                       optimize, set_disabled_passes, set_enabled, stabilize_outputs)

__all__ = ["PASS_NAMES", "PIPELINE", "Context", "Rule", "check_pass_names", "disabled_passes",
           "enabled", "optimize", "run_pass", "set_disabled_passes", "set_enabled",
           "stabilize_outputs"]
