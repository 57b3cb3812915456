"""tr.grad, value_and_grad, vjp, jvp, hvp, jacobian, hessian (JAX's names and signatures).

Every transform is a function of arrays built from a derivative graph:

* called on traced values (inside tr.compile or inside another transform) it
  traces `f` over fresh params for the differentiated arguments, builds the
  derivative nodes (tracer.autodiff) and inlines them on the arguments' nodes.
  Other arguments, and values `f` closes over, are constants of the
  derivative, so nesting (grad of grad, jvp of grad) just works;
* called on arrays it goes through its own tr.compile cache: one trace per
  signature, and `tr.compile(tr.grad(f))` is the same graph. As in tr.compile,
  Python scalars are traced values (pass sizes as static arguments of an
  enclosing tr.compile, or close over them); non-array arguments (strings,
  callables) are static.

vjp, jvp and hvp keep one such kernel per function (held weakly), so calling
them again on arrays of the same signature reuses one trace.

grad, value_and_grad, jacobian and hessian pickle by recipe: the public transform,
f (pickled by its own rules: a tr.compile function by name or by value, a closure
through cloudpickle) and the options, plus the graphs already traced, so the
receiver remakes the same transform, traces nothing again and compiles from its
own cache (see tr.compile's pickling).
"""
from __future__ import annotations

import functools
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..autodiff import jvp_nodes, vjp_nodes
from ..graph_opt import stabilize_outputs
from ..ir import Node, make_param, substitute
from ..loops.roll import roll_loops
from ..trace import Proxy, leaf_spec, prims, pytree
from ..trace.context import Trace, current_trace, tracing
from ..trace.proxy import operand, wrap
from . import samefn
from .compile import CompiledFunction
from .pickling import received, token_of


def _has_proxy(tree: Any) -> bool:
    return any(isinstance(x, Proxy) for x in pytree.flatten(tree)[0])


def _is_static_object(x: Any) -> bool:
    """A non-array argument (a string, a callable, ...): passed through as a static value."""
    arrays = (np.ndarray, np.generic, bool, int, float, complex, list, tuple, dict, Proxy)
    if x is None or isinstance(x, arrays):
        return False
    try:
        hash(x)
    except TypeError:
        return False
    return True


class Transformed:
    """A derivative function: inlines on traced arguments, compiles on arrays.

    On arrays, arguments that are not arrays or pytrees of them (strings,
    callables, ...) are static, as a jax.grad user would expect.
    """

    def __init__(self, build: Callable[..., Any], name: str, wrapped: Any = None,
                 recipe: tuple | None = None):
        self._build = build
        # (transform, f, options): how another process makes this again; see __reduce__
        self._recipe = recipe
        self.__name__ = self.__qualname__ = name
        if wrapped is not None:
            self.__wrapped__ = wrapped  # so tr.compile names the arguments as f does
            build.__wrapped__ = wrapped
        self._compiled = CompiledFunction(build)
        self._by_static: dict[tuple, CompiledFunction] = {((), ()): self._compiled}

    def _compiled_for(self, args: tuple, kwargs: dict) -> CompiledFunction:
        nums = tuple(i for i, a in enumerate(args) if _is_static_object(a))
        names = tuple(sorted(k for k, v in kwargs.items() if _is_static_object(v)))
        return self._compiled_with(nums, names)

    def _compiled_with(self, nums: tuple, names: tuple) -> CompiledFunction:
        found = self._by_static.get((nums, names))
        if found is None:
            found = CompiledFunction(self._build, static_argnums=nums, static_argnames=names)
            self._by_static[nums, names] = found
        return found

    def __reduce__(self) -> tuple:
        """By recipe, never by the build closure (plain pickle cannot send it), with the
        graphs traced so far for each set of static arguments."""
        if self._recipe is None:
            raise TypeError(f"cannot pickle {self.__name__}: only tr.grad, tr.value_and_grad, "
                            "tr.jacobian and tr.hessian functions are picklable")
        shipped = {k: c._shipped() for k, c in self._by_static.items() if c.cache_size}
        return (_rebuild_transformed, (token_of(self), *self._recipe, shipped))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # inside a trace f may close over traced values even when the arguments are arrays
        if current_trace() is not None or _has_proxy((args, kwargs)):
            return self._build(*args, **kwargs)
        return self._compiled_for(args, kwargs)(*args, **kwargs)

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        """As a method: bind the instance like a function would."""
        return self if obj is None else functools.partial(self, obj)

    def lower(self, *args: Any, **kwargs: Any) -> Any:
        """The traced derivative graph for these arguments (see tr.compile's lower)."""
        return self._compiled_for(args, kwargs).lower(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<tracer transform {self.__name__}>"


def _rebuild_transformed(token: str, make: Callable[..., Transformed], f: Any, options: dict,
                         shipped: dict[tuple, list]) -> Transformed:
    remade = received(token, lambda: make(f, **options))
    for (nums, names), entries in shipped.items():
        remade._compiled_with(nums, names)._seed(entries)
    return remade


# -- tracing f over fresh params ---------------------------------------------------
@dataclass
class _Traced:
    params: list[Node]      # fresh params, one per differentiated leaf
    outer: list[Node]       # the argument nodes they stand for
    weak: list[bool]
    trees: list[pytree.TreeDef]  # one per differentiated argument
    outs: list[Node]
    out_tree: pytree.TreeDef
    out_weak: list[bool]
    aux: Any

    def inline(self, nodes: Sequence[Node]) -> list[Node]:
        return substitute(list(nodes), dict(zip(self.params, self.outer)))

    def group(self, leaves: Sequence[Any]) -> list[Any]:
        """Flat per-param values regrouped into one pytree per differentiated argument."""
        out, start = [], 0
        for tree in self.trees:
            out.append(pytree.unflatten(tree, leaves[start:start + tree.num_leaves]))
            start += tree.num_leaves
        return out


def _arg_node(leaf: Any, path: str) -> tuple[Node, bool]:
    if isinstance(leaf, Proxy):
        return leaf.node, leaf.weak
    spec, arr = leaf_spec(leaf, path)
    return prims.const(arr), spec.weak


def _trace(f: Callable[..., Any], args: Sequence[Any], kwargs: dict, argnums: Sequence[int],
           has_aux: bool, who: str, need_float: bool = False,
           fast_forward: bool = True) -> _Traced:
    """f traced over fresh params for args[argnums] (again without skipping loop steps
    when, outside any trace, a skipped step's value escaped: trace/marks.py)."""
    original = args
    args = list(args)
    params, outer, weak, trees = [], [], [], []
    for n in argnums:
        leaves, tree = pytree.flatten(args[n])
        paths = pytree.leaf_paths(tree, f"argument {n}")
        fresh = []
        for leaf, path in zip(leaves, paths):
            node, w = _arg_node(leaf, path)
            if need_float and node.dtype.kind not in "fc":
                raise TypeError(f"{who}: {path} has dtype {node.dtype}; derivatives are taken "
                                "only with respect to float arguments (integer and bool inputs "
                                "get none). Cast it with .astype(np.float64), or leave it out "
                                "of argnums")
            p = make_param(node.type, path.replace(" ", "_"))
            params.append(p), outer.append(node), weak.append(w)
            fresh.append(Proxy(p, w))
        args[n] = pytree.unflatten(tree, fresh)
        trees.append(tree)
    enclosing = current_trace()
    trace = Trace(enclosing)
    if enclosing is None:
        trace.marks.fast_forward = fast_forward
    first_loop = len(trace.marks.runs)
    with tracing(trace):
        result = f(*args, **kwargs)
        aux = None
        if has_aux:
            if not isinstance(result, (tuple, list)) or len(result) != 2:
                raise TypeError(f"{who} with has_aux=True: f must return a pair "
                                f"(output, aux), got {type(result).__name__}")
            result, aux = result
        leaves, out_tree = pytree.flatten(result)
        outs, out_weak = [], []
        for i, leaf in enumerate(leaves):
            try:
                node, w = operand(leaf)
            except TypeError:
                raise TypeError(f"{who}: output {i} of f is a {type(leaf).__name__}, "
                                "not an array") from None
            outs.append(node), out_weak.append(w)
    if enclosing is None and trace.marks.escaped(outs + [operand(x)[0] for x in
                                                     pytree.flatten(aux)[0]]):
        return _trace(f, original, kwargs, argnums, has_aux, who, need_float, False)
    outs, aux = _rolled(outs, aux, trace, first_loop)   # f's loops, before differentiating
    outs = stabilize_outputs(params, outs)   # derivatives of the stable forms (graph_opt)
    return _Traced(params, outer, weak, trees, outs, out_tree, out_weak, aux)


def _rolled(outs: list[Node], aux: Any, trace: Trace, first_loop: int) -> tuple[list[Node], Any]:
    """f's outputs (and aux) with the Python loops f ran made SCANs (tracer/loops/roll.py),
    so that derivatives go through loops, not through every unrolled step."""
    leaves, tree = pytree.flatten(aux)
    nodes = [operand(x) for x in leaves]
    rolled = roll_loops(outs + [n for n, _ in nodes], trace.marks, first_loop)
    aux = pytree.unflatten(tree, [wrap(n, w) for n, (_, w) in zip(rolled[len(outs):], nodes)])
    return rolled[:len(outs)], aux


def _inline_aux(t: _Traced) -> Any:
    leaves, tree = pytree.flatten(t.aux)
    nodes = [operand(x) for x in leaves]
    new = t.inline([n for n, _ in nodes])
    return pytree.unflatten(tree, [wrap(n, w) for n, (_, w) in zip(new, nodes)])


def _normalize_argnums(argnums: Any, who: str) -> tuple[tuple[int, ...], bool]:
    if isinstance(argnums, (int, np.integer)) and not isinstance(argnums, bool):
        return (int(argnums),), True
    if isinstance(argnums, (tuple, list)) and argnums and all(
            isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in argnums):
        return tuple(int(a) for a in argnums), False
    raise TypeError(f"{who}: argnums must be an int or a non-empty tuple of ints, got {argnums!r}")


def _resolve_argnums(nums: Sequence[int], nargs: int, who: str) -> list[int]:
    out = []
    for n in nums:
        if not -nargs <= n < nargs:
            raise ValueError(f"{who}: argnums {n} is out of range for a call with {nargs} "
                             "positional arguments")
        out.append(n % nargs)
    return out


def _zeros_if_none(nodes: Sequence[Node | None], like: Sequence[Node]) -> list[Node]:
    return [prims.full(p.shape, 0, p.dtype) if g is None else g for g, p in zip(nodes, like)]


def _scalar_output(t: _Traced, who: str) -> Node:
    if len(t.outs) != 1 or t.out_tree.kind != "leaf":
        raise TypeError(f"{who}: f must return one scalar array, got a pytree {t.out_tree} "
                        "(use has_aux=True to return extra values)")
    out = t.outs[0]
    if out.shape != () or out.dtype.kind != "f":
        raise TypeError(f"{who} requires a real scalar output (float, shape ()), got "
                        f"{out.type}; use tr.vjp or tr.jacobian for other outputs")
    return out


# -- reverse mode --------------------------------------------------------------------
def _grad_parts(f, nums, has_aux, who, args, kwargs):
    """(value, grads per argument, aux) as proxies, for traced arguments."""
    argnums = _resolve_argnums(nums, len(args), who)
    t = _trace(f, args, kwargs, argnums, has_aux, who, need_float=True)
    out = _scalar_output(t, who)
    grads = vjp_nodes([out], [prims.full((), 1, out.dtype)], t.params)
    value, *grads = t.inline([out] + _zeros_if_none(grads, t.params))
    aux = _inline_aux(t) if has_aux else None
    return wrap(value, t.out_weak[0]), t.group([wrap(g, w) for g, w in zip(grads, t.weak)]), aux


def value_and_grad(f: Callable[..., Any], argnums: int | Sequence[int] = 0,
                   has_aux: bool = False) -> Transformed:
    """f's value and its gradient with respect to `argnums` (f returns a real scalar)."""
    nums, single = _normalize_argnums(argnums, "tr.value_and_grad")

    def build(*args, **kwargs):
        value, grads, aux = _grad_parts(f, nums, has_aux, "tr.value_and_grad", args, kwargs)
        g = grads[0] if single else tuple(grads)
        return ((value, aux), g) if has_aux else (value, g)
    # the same function (samefn.py) gets the same transform: one trace per signature
    return samefn.shared(f, ("value_and_grad", nums, single, has_aux), lambda: Transformed(
        build, f"value_and_grad({_name(f)})", f,
        (value_and_grad, f, {"argnums": argnums, "has_aux": has_aux})))


def grad(f: Callable[..., Any], argnums: int | Sequence[int] = 0,
         has_aux: bool = False) -> Transformed:
    """The gradient of a real-scalar f with respect to `argnums`, shaped like them."""
    nums, single = _normalize_argnums(argnums, "tr.grad")

    def build(*args, **kwargs):
        _, grads, aux = _grad_parts(f, nums, has_aux, "tr.grad", args, kwargs)
        g = grads[0] if single else tuple(grads)
        return (g, aux) if has_aux else g
    return samefn.shared(f, ("grad", nums, single, has_aux), lambda: Transformed(
        build, f"grad({_name(f)})", f, (grad, f, {"argnums": argnums, "has_aux": has_aux})))


def _name(f: Any) -> str:
    return getattr(f, "__name__", type(f).__name__)


def _leaves_like(values: Any, like: Sequence[Node], tree: pytree.TreeDef, what: str,
                 who: str) -> list[Node | None]:
    """A user's tangent/cotangent pytree as nodes of the types of `like` (None for ints)."""
    leaves, got = pytree.flatten(values)
    if got != tree:
        raise ValueError(f"{who}: {what} has structure {got}, expected {tree}")
    nodes = []
    for leaf, ref in zip(leaves, like):
        node = operand(leaf)[0]
        if node.shape != ref.shape:
            raise ValueError(f"{who}: {what} of shape {node.shape} for a value of shape "
                             f"{ref.shape}")
        nodes.append(prims.cast(node, ref.dtype) if ref.dtype.kind in "fc" else None)
    return nodes


def _all_args(primals: Sequence[Any]) -> list[int]:
    return list(range(len(primals)))


def _vjp_build(f, has_aux):
    def build(primals, cotangent):
        outer = current_trace()
        drawn = len(outer.draws) if outer is not None else 0
        t = _trace(f, primals, {}, _all_args(primals), has_aux, "tr.vjp")
        if outer is not None and len(outer.draws) != drawn:
            raise TypeError(f"tr.vjp: {_name(f)} draws random numbers; vjp_fn would draw "
                            "others than the forward call did. Use tr.grad or "
                            "tr.value_and_grad (one call, one draw), or draw outside f and "
                            "pass the numbers as an argument")
        cts = _leaves_like(cotangent, t.outs, t.out_tree, "the cotangent", "vjp_fn")
        grads = vjp_nodes(t.outs, cts, t.params)
        new = t.inline(_zeros_if_none(grads, t.params))
        return tuple(t.group([wrap(g) for g in new]))
    return build


def vjp(f: Callable[..., Any], *primals: Any, has_aux: bool = False) -> tuple:
    """(f(*primals), vjp_fn), where vjp_fn(cotangent) is a tuple like primals."""
    forward = _cached(f, ("forward", has_aux), lambda fn: lambda *p: fn()(*p))
    backward = _cached(f, ("vjp", has_aux), lambda fn: _lazy(_vjp_build, fn, has_aux))
    result = forward(*primals)
    out, aux = (result[0], result[1]) if has_aux else (result, None)
    tree = pytree.flatten(out)[1]

    def vjp_fn(cotangent: Any) -> tuple:
        if pytree.flatten(cotangent)[1] != tree:
            raise ValueError(f"vjp_fn: the cotangent has structure "
                             f"{pytree.flatten(cotangent)[1]}, expected the output's {tree}")
        return backward(primals, cotangent)
    vjp_fn.fun = f  # the kernel cache holds f weakly; vjp_fn keeps it alive
    return (out, vjp_fn, aux) if has_aux else (out, vjp_fn)


# -- forward mode ------------------------------------------------------------------------
def _check_primals(primals: Any, tangents: Any, who: str) -> None:
    for name, value in (("primals", primals), ("tangents", tangents)):
        if not isinstance(value, (tuple, list)):
            raise TypeError(f"{who}: {name} must be a tuple or list of arguments, "
                            f"got {type(value).__name__}")
    if len(primals) != len(tangents):
        raise ValueError(f"{who}: {len(primals)} primals but {len(tangents)} tangents")


def _tangent_map(t: _Traced, primals: Any, tangents: Any, who: str) -> dict[Node, Node | None]:
    tree = pytree.flatten(tuple(primals))[1]
    nodes = _leaves_like(tuple(tangents), t.params, tree, "tangents", who)
    return dict(zip(t.params, nodes))


def _jvp_build(f, has_aux):
    def build(primals, tangents):
        t = _trace(f, primals, {}, _all_args(primals), False, "tr.jvp")
        touts = jvp_nodes(t.outs, _tangent_map(t, primals, tangents, "tr.jvp"))
        n = len(t.outs)
        new = t.inline(t.outs + _zeros_if_none(touts, t.outs))
        outs = [wrap(x, w) for x, w in zip(new[:n], t.out_weak)]
        return pytree.unflatten(t.out_tree, outs), pytree.unflatten(t.out_tree, map(wrap, new[n:]))
    return build


def jvp(f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any]) -> tuple:
    """(f(*primals), J·tangents): the R-operator, true forward mode."""
    _check_primals(primals, tangents, "tr.jvp")
    kernel = _cached(f, ("jvp",), lambda fn: _lazy(_jvp_build, fn, False))
    return kernel(tuple(primals), tuple(tangents))


def _hvp_build(f, has_aux):
    def build(primals, tangents):
        t = _trace(f, primals, {}, _all_args(primals), False, "tr.hvp")
        out = _scalar_output(t, "tr.hvp")
        grads = vjp_nodes([out], [prims.full((), 1, out.dtype)], t.params)
        grads = _zeros_if_none(grads, t.params)
        hv = jvp_nodes(grads, _tangent_map(t, primals, tangents, "tr.hvp"))
        new = t.inline(_zeros_if_none(hv, t.params))
        return pytree.unflatten(pytree.flatten(tuple(primals))[1], map(wrap, new))
    return build


def hvp(f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any]) -> Any:
    """H·tangents for a real-scalar f, shaped like primals: forward-over-reverse."""
    _check_primals(primals, tangents, "tr.hvp")
    kernel = _cached(f, ("hvp",), lambda fn: _lazy(_hvp_build, fn, False))
    result = kernel(tuple(primals), tuple(tangents))
    return type(primals)(result) if isinstance(primals, list) else result


# -- kernels cached per function ------------------------------------------------------------
_kernels: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _lazy(make_build, fn_ref, has_aux):
    """A build that looks f up at call time (the cache holds f weakly)."""
    def build(*args):
        return make_build(fn_ref(), has_aux)(*args)
    return build


def _cached(f: Callable[..., Any], key: tuple, make: Callable[[Any], Callable]) -> Transformed:
    """One Transformed per (f, kind), so repeated calls on arrays reuse one trace; a
    function that is a new object but the same function (samefn.py: a lambda made
    afresh on each call) gets the same one too."""
    if samefn.identity(f) is not None:
        return samefn.shared(f, key, lambda: Transformed(make(lambda: f),
                                                          f"{key[0]}({_name(f)})"))
    try:
        ref = weakref.ref(f)
        table = _kernels.setdefault(f, {})
    except TypeError:  # f cannot be held weakly: no reuse across calls
        return Transformed(make(lambda: f), f"{key[0]}({_name(f)})")
    found = table.get(key)
    if found is None:
        found = table[key] = Transformed(make(ref), f"{key[0]}({_name(f)})")
    return found


# -- jacobians -------------------------------------------------------------------------------
def _one_hot_rows(size: int, dtype: Any) -> Node:
    return prims.const(np.eye(size, dtype=dtype))


def _jac_rev(t: _Traced) -> list[list[Node]]:
    """blocks[o][p] of shape out.shape + param.shape, one L-operator per output element."""
    blocks = []
    for o in t.outs:
        rows: list[list[Node]] = [[] for _ in t.params]
        eye = _one_hot_rows(o.type.size, o.dtype) if o.dtype.kind == "f" else None
        for k in range(o.type.size if eye is not None else 0):
            e = prims.reshape(prims.slice_axes(eye, (k, 0), (1, 1), (1, o.type.size)), o.shape)
            for j, g in enumerate(_zeros_if_none(vjp_nodes([o], [e], t.params), t.params)):
                rows[j].append(prims.reshape(g, (1,) + g.shape))
        blocks.append([_stack(r, o.shape + p.shape, p.dtype, 0) for r, p in zip(rows, t.params)])
    return blocks


def _jac_fwd(t: _Traced) -> list[list[Node]]:
    """blocks[o][p] of shape out.shape + param.shape, one R-operator per input element."""
    cols: list[list[list[Node]]] = [[[] for _ in t.params] for _ in t.outs]
    for j, p in enumerate(t.params):
        eye = _one_hot_rows(p.type.size, p.dtype) if p.dtype.kind == "f" else None
        for k in range(p.type.size if eye is not None else 0):
            e = prims.reshape(prims.slice_axes(eye, (k, 0), (1, 1), (1, p.type.size)), p.shape)
            touts = _zeros_if_none(jvp_nodes(t.outs, {p: e}), t.outs)
            for i, d in enumerate(touts):
                cols[i][j].append(prims.reshape(d, (d.type.size, 1)))
    return [[_stack(cols[i][j], o.shape + p.shape, o.dtype, 1) for j, p in enumerate(t.params)]
            for i, o in enumerate(t.outs)]


def _stack(parts: list[Node], shape: tuple, dtype: Any, axis: int) -> Node:
    if not parts:
        return prims.full(shape, 0, dtype if np.dtype(dtype).kind == "f" else np.float64)
    return prims.reshape(prims.concatenate(parts, axis), shape)


def _jacobian(f: Callable[..., Any], argnums: Any, mode: str | None, who: str) -> Transformed:
    nums, single = _normalize_argnums(argnums, who)

    def build(*args, **kwargs):
        t = _trace(f, args, kwargs, _resolve_argnums(nums, len(args), who), False, who)
        _refuse_complex(t, who)
        n_in = sum(p.type.size for p in t.params)
        use_rev = mode == "rev" or (mode is None and sum(o.type.size for o in t.outs) <= n_in)
        blocks = _jac_rev(t) if use_rev else _jac_fwd(t)
        per_out = []
        for row in blocks:
            groups = t.group([wrap(x) for x in t.inline(row)])
            per_out.append(groups[0] if single else tuple(groups))
        return pytree.unflatten(t.out_tree, per_out)
    return Transformed(build, f"{who[3:]}({_name(f)})", f)


def _refuse_complex(t: _Traced, who: str) -> None:
    """As JAX's jacfwd/jacrev without holomorphic=True: a complex Jacobian is not one
    array of numbers (it is a real 2x2 block per element pair), so none is given."""
    for node, what in [(p, "an argument") for p in t.params] + [(o, "an output") for o in t.outs]:
        if node.dtype.kind == "c":
            raise TypeError(f"{who}: {what} is complex ({node.type}); Jacobians and Hessians are "
                            "taken of real values. Differentiate with respect to the real and "
                            "imaginary parts (f(x + 1j * y) in x and y), or use tr.grad, "
                            "tr.jvp or tr.vjp, which take complex values")


def jacobian(f: Callable[..., Any], argnums: int | Sequence[int] = 0) -> Transformed:
    """The Jacobian, each block shaped out.shape + arg.shape (as jax.jacrev/jacfwd).

    Reverse mode (one L-operator per output element) when the outputs are no
    bigger than the inputs, forward mode (one R-operator per input element) else.
    """
    jac = _jacobian(f, argnums, None, "tr.jacobian")
    jac._recipe = (jacobian, f, {"argnums": argnums})
    return jac


def hessian(f: Callable[..., Any], argnums: int | Sequence[int] = 0) -> Transformed:
    """The Hessian of a real-scalar f: forward-mode Jacobian of the reverse-mode gradient."""
    hess = _jacobian(_jacobian(f, argnums, "rev", "tr.hessian"), argnums, "fwd", "tr.hessian")
    hess._recipe = (hessian, f, {"argnums": argnums})
    return hess
