"""Automatic differentiation as graph-to-graph transforms over the IR.

Design: two rule tables keyed by op, as Theano's R_op / L_op:

* JVP_RULES (the R-operator, true forward mode): rule(node, input tangents)
  -> the node's tangent. `jvp_nodes` pushes tangents through a graph in
  topological order.
* VJP_RULES (the L-operator, reverse mode): rule(node, cotangent) -> one
  cotangent per input. `vjp_nodes` pulls cotangents back in reverse order,
  summing where a node has several users.

Why two tables and not JAX's linearize + transpose: our graphs are already
pure data-flow graphs of interned nodes, so a rule per direction is a few
lines that read like the math, needs no notion of "linear variable", and
each transform is one short loop. The R-operator is never built from two
reverse passes; the Hessian-vector product is forward-over-reverse: the JVP
transform applied to the gradient graph, which costs a small constant times
one gradient (Pearlmutter's trick, the 2012 Theano paper's use).

Elementwise ops share one table of partial derivatives (elementwise.py) from
which both directions are generated; the other ops have a hand-written rule
in each table (rules.py, structural.py). Rules are written with the node
builders of build.py, where None is a symbolic zero: an input that carries no
tangent, a non-differentiable op (ir.ops.NON_DIFFERENTIABLE) or an integer
value costs nothing. Derivative nodes are ordinary primitives, so every
derivative can be differentiated again (any order) and compiled by any
backend; no primitive was added (digamma, gammaln's derivative, is composed).

Conventions at kinks, as JAX: d|x|/dx = 1 at 0; maximum/minimum split ties
0.5/0.5; reduce_max/min split the cotangent equally among tied maxima;
d(x**y)/dx = 0 where y == 0 and d(x**y)/dy = 0 where x == 0; sqrt'(0) = inf.

The user-facing transforms (tr.grad, tr.jvp, tr.vjp, tr.hvp, tr.jacobian,
tr.hessian) live in tracer/api/transforms.py; they trace, call these, and
inline or compile the result.
"""
from .rules import JVP_RULES, VJP_RULES, is_differentiable
from .transform import jvp_nodes, vjp_nodes

__all__ = ["JVP_RULES", "VJP_RULES", "is_differentiable", "jvp_nodes", "vjp_nodes"]
