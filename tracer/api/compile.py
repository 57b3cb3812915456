"""`tr.compile`: trace once per signature, compile, cache, call.

    @tr.compile                    # or tr.compile(fn, backend=..., static_argnums=...)
    def f(x, y): ...
    f(x, y)                        # traced on the first call for this signature
    f.lower(x, y).as_text()        # the graph; .ops(), .source(), .compile()

Called on traced values (inside another compile or transform) it inlines.

Donation (jax.jit's donate_argnums/donate_argnames): the caller promises not to use
the donated arguments' arrays after the call, so the C backend may write an output
into a donated array of exactly that output's type (and return that array) instead
of allocating one. Which outputs may is decided per graph (vm.schedule.reusable_inputs);
an array that is not reused is left alone. The reference backend ignores donation.

Never waiting on the compiler: on the C backend, a signature whose module is not in
the on-disk cache yet runs its first calls on the reference executor (numpy, op by op,
the optimized graph) while the module builds in the background, and switches to it when
it is loaded (backends/c/background.py); results are the same either way. A compile
error there is reported once (BackgroundCompileWarning, with the compiler's message) and
the function stays on the reference executor. `tr.config.background_compile = False`
(TRACER_BACKGROUND_COMPILE=0) or `tr.compile(f, wait=True)` makes the first call wait,
and `f.lower(...).compile()` always does (benchmarks, ahead-of-time use).

Pickling (dask, multiprocessing): a CompiledFunction travels as its function and
options plus each signature's traced graph, never as a binary. The receiver makes
the Lowered of every shipped signature from its graph, so it traces nothing again,
and compiles (from its own on-disk cache, or the compiler) on the first call, for
its own `tr.config.backend` where the backend was not given. A decorated function
of an importable module goes by reference: the receiver's module object is the one
it gets, with the shipped signatures added. Other functions go by value (closures
and lambdas through cloudpickle, which dask uses); a compiled function of
`__main__` is sent by value too, so plain pickle refuses it, as it refuses any
function of `__main__` that it cannot name: use cloudpickle. A process receiving
one function many times (dask unpickles it for every task) keeps one object, and
so its loaded executables (tracer.api.pickling).
"""
from __future__ import annotations

import functools
import importlib
import inspect
import sys
import warnings
import weakref
from dataclasses import dataclass
from typing import Any, Callable, Hashable, Sequence

import numpy as np

from ..backends import Pending, compile_for, start_for
from ..backends.c import BackgroundCompileWarning
from ..backends.c.complex_c import in_numpy
from ..graph_opt import enabled as optimizer_enabled
from ..graph_opt import optimize
from ..ir import Graph
from ..loops.roll import rolled_function
from ..trace import LeafSpec, Proxy, check_static, current_trace, leaf_spec, pytree, trace_function
from ..trace.random import SOURCES as RANDOM_SOURCES
from ..trace.random import replay
from ..trace.tracing import TracedFunction
from .config import config
from .fastpath import Matcher, call_key, keyed_caller, make_matcher
from .pickling import received, token_of


def _positional_names(fn: Callable[..., Any]) -> tuple[list[str], inspect.Signature | None]:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return [], None
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return [p.name for p in sig.parameters.values() if p.kind in kinds], sig


def _has_proxy(tree: Any) -> bool:
    leaves, _ = pytree.flatten(tree)
    return any(isinstance(x, Proxy) for x in leaves)


@dataclass(frozen=True)
class CallKey:
    treedef: pytree.TreeDef
    leaves: tuple[LeafSpec, ...]
    static: tuple[Hashable, ...]


def _argnums(value: Any, what: str) -> tuple[int, ...]:
    """An int or a sequence of ints, or a TypeError naming the bad value."""
    items = (value,) if isinstance(value, (int, np.integer)) else value
    try:
        items = tuple(items)
    except TypeError:
        raise TypeError(f"tr.compile: {what} must be an int or a sequence of ints, got "
                        f"{value!r}") from None
    for n in items:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise TypeError(f"tr.compile: {what} must be an int or a sequence of ints, got "
                            f"{n!r} in {value!r}")
    return tuple(int(n) for n in items)


def _argnames(value: Any, what: str) -> tuple[str, ...]:
    """A str or a sequence of strs, or a TypeError naming the bad value."""
    items = (value,) if isinstance(value, str) else value
    try:
        items = tuple(items)
    except TypeError:
        raise TypeError(f"tr.compile: {what} must be a str or a sequence of strs, got "
                        f"{value!r}") from None
    for name in items:
        if not isinstance(name, str):
            raise TypeError(f"tr.compile: {what} must be a str or a sequence of strs, got "
                            f"{name!r} in {value!r}")
    return items


class ArgumentPlan:
    """How one function's arguments split into traced leaves and static values, and
    which traced arguments the caller donates."""

    def __init__(self, fn: Callable[..., Any], static_argnums: Sequence[int],
                 static_argnames: Sequence[str], donate_argnums: Sequence[int] = (),
                 donate_argnames: Sequence[str] = ()):
        self.names, self.signature = _positional_names(fn)
        self.static_nums, self.static_names = self._resolve(static_argnums, static_argnames)
        self.donate_nums, self.donate_names = self._resolve(donate_argnums, donate_argnames)
        both = sorted(self.static_nums & self.donate_nums) + sorted(
            self.static_names & self.donate_names)
        if both:
            raise ValueError(f"tr.compile: argument {both[0]!r} is both static and donated; "
                             "a static argument is not an array and cannot be donated")

    def _resolve(self, argnums: Sequence[int], argnames: Sequence[str]):
        """(positions, names), each completed from the other through the signature."""
        nums = set(argnums)
        names = set(argnames)
        for n in list(nums):
            if n < len(self.names):
                names.add(self.names[n])
        for i, name in enumerate(self.names):
            if name in names:
                nums.add(i)
        return frozenset(nums), frozenset(names)

    def donated_leaves(self, treedef: pytree.TreeDef, nums: set[int]) -> frozenset[int]:
        """Indices of the flat leaves the caller donates, for a call of this structure."""
        if not (self.donate_nums or self.donate_names):
            return frozenset()
        args_td, kwargs_td = treedef.children
        n_pos = len(args_td.children) + len(nums)
        donate = {i if i >= 0 else i + n_pos for i in self.donate_nums}
        dyn_positions = [i for i in range(n_pos) if i not in nums]
        pieces = [(pos in donate, child) for pos, child in zip(dyn_positions, args_td.children)]
        pieces += [(key in self.donate_names, child)
                   for key, child in zip(kwargs_td.data, kwargs_td.children)]
        out, start = set(), 0
        for donated, child in pieces:
            count = child.num_leaves
            if donated:
                out.update(range(start, start + count))
            start += count
        return frozenset(out)

    def split(self, args: tuple, kwargs: dict) -> tuple[Any, tuple, list[str]]:
        """(traced tree, static values, leaf paths) of one call."""
        n = len(args)
        # a numpy Generator is static: its draws are made on every call (trace/random.py)
        nums = {i if i >= 0 else i + n for i in self.static_nums} | {
            i for i, a in enumerate(args) if isinstance(a, RANDOM_SOURCES)}
        names = self.static_names | {k for k, v in kwargs.items()
                                     if isinstance(v, RANDOM_SOURCES)}
        dyn_args = tuple(a for i, a in enumerate(args) if i not in nums)
        dyn_kwargs = {k: v for k, v in kwargs.items() if k not in names}
        static = tuple((i, check_static(a, self._arg_name(i))) for i, a in enumerate(args)
                       if i in nums)
        static += tuple((k, check_static(v, k)) for k, v in sorted(kwargs.items())
                        if k in names)
        return (dyn_args, dyn_kwargs), static, nums

    def _arg_name(self, i: int) -> str:
        return f"'{self.names[i]}'" if i < len(self.names) else f"at position {i}"

    def leaf_paths(self, tree: Any, nums: set[int], treedef: pytree.TreeDef) -> list[str]:
        dyn_positions = [i for i in range(len(tree[0]) + len(nums)) if i not in nums]
        paths: list[str] = []
        args_td, kwargs_td = treedef.children
        for pos, child in zip(dyn_positions, args_td.children):
            base = self.names[pos] if pos < len(self.names) else f"args[{pos}]"
            paths += [base + p for p in pytree.leaf_paths(child)]
        for key, child in zip(kwargs_td.data, kwargs_td.children):
            paths += [key + p for p in pytree.leaf_paths(child)]
        return paths

    def structure_mismatch(self, got: pytree.TreeDef, want: pytree.TreeDef,
                           nums: set[int]) -> str:
        """Which argument differs from the compiled signature, and how."""
        (got_args, got_kw), (want_args, want_kw) = got.children, want.children
        n_got, n_want = len(got_args.children), len(want_args.children)
        if n_got != n_want:
            want_positions = [i for i in range(n_want + len(nums)) if i not in nums]
            which = (f"missing argument {self._arg_name(want_positions[n_got])}"
                     if n_got < n_want else "too many arguments")
            return (f"Compiled function takes {n_want} traced positional arguments, got "
                    f"{n_got} ({which})")
        if got_kw.data != want_kw.data:
            return (f"Compiled function was compiled for keyword arguments "
                    f"{list(want_kw.data)}, got {list(got_kw.data)}")
        dyn_positions = [i for i in range(len(got_args.children) + len(nums)) if i not in nums]
        pairs = [(self._arg_name(pos), g, w) for pos, g, w in
                 zip(dyn_positions, got_args.children, want_args.children)]
        pairs += [(f"'{k}'", g, w) for k, g, w in
                  zip(want_kw.data, got_kw.children, want_kw.children)]
        for name, g, w in pairs:
            if g != w:
                return (f"argument {name}: expected a pytree of structure {w}, got {g}; call "
                        "the tr.compile function to re-trace for a new structure")
        return f"Compiled function called with arguments of structure {got}, compiled for {want}"

    def static_mismatch(self, got: tuple, want: tuple) -> str:
        """Which static argument differs from the compiled one."""
        got_d, want_d = dict(got), dict(want)
        for key in sorted(set(got_d) | set(want_d), key=str):
            if key not in got_d or key not in want_d or got_d[key] != want_d[key]:
                name = self._arg_name(key) if isinstance(key, int) else f"'{key}'"
                return (f"static argument {name}: compiled for "
                        f"{want_d.get(key, '(not given)')!r}, got {got_d.get(key, '(not given)')!r};"
                        " call the tr.compile function to re-trace for new static values")
        return f"static arguments {got} differ from the compiled {want}"

    def rebuild(self, tree: Any, static: tuple) -> tuple[tuple, dict]:
        dyn_args, dyn_kwargs = tree
        static_pos = {k: v for k, v in static if isinstance(k, int)}
        args, it = [], iter(dyn_args)
        for i in range(len(dyn_args) + len(static_pos)):
            args.append(static_pos[i] if i in static_pos else next(it))
        kwargs = dict(dyn_kwargs)
        kwargs.update({k: v for k, v in static if isinstance(k, str)})
        return tuple(args), kwargs


class Lowered:
    """A traced (and optimized) function for one signature, before or after compiling."""

    def __init__(self, traced: TracedFunction, backend: str, key: CallKey,
                 paths: list[str], plan: ArgumentPlan, donated: frozenset[int] = frozenset()):
        self.traced = traced
        self.backend = backend
        self.key = key
        self._paths = paths
        self._plan = plan
        self.donated = donated      # flat leaf indices the caller donates
        self._executable: Any = None
        self._call: Any = None      # the executable, or its donating call
        self._hot: Any = _UNSET     # hot_path(), made on first use
        # a C module building in the background; calls run its reference executable
        self._pending: Any = None
        self.wait: bool | None = None      # tr.compile(wait=...); None: tr.config's
        self.name: str | None = None       # the function's, for messages
        self._graph = optimize(traced.graph) if optimizer_enabled() else traced.graph
        # np.random calls, made again on every call: their values are the last inputs
        self._draws = tuple(traced.trace.draws)
        # Python ints the trace assumed fit a narrower loop dtype: (argument index, dtype)
        self._int_bounds = [(traced.graph.inputs.index(param), dtype)
                            for param, dtype in traced.trace.int_bounds]
        self._build = (None if traced.out_tree is pytree.LEAF
                       else pytree.builder(traced.out_tree))
        # positional pytrees of ndarrays, nothing static: recognized without a pytree walk
        args_td, kwargs_td = key.treedef.children
        self.matcher: Matcher | None = (
            make_matcher(args_td, key.leaves) if not key.static and not kwargs_td.children
            else None)

    @property
    def graph(self) -> Graph:
        return self._graph

    def as_text(self) -> str:
        """The optimized graph; steps this backend runs by calling numpy are marked
        `# numpy fallback` (on C: NUMPY_FALLBACK ops and complex work without C code)."""
        return self.graph.as_text(in_numpy if self.backend == "c" else None)

    def ops(self) -> list[str]:
        return self.graph.ops()

    def executable(self) -> Any:
        """The compiled executable, waiting for a background build if one runs."""
        if self._executable is None:
            pending = self._pending
            self._install(pending.wait() if pending is not None
                          else compile_for(self.backend, self.graph))
        return self._executable

    def _install(self, exe: Any) -> None:
        donating = getattr(exe, "donating", None)     # the reference backend has none
        self._call = donating(self.donated) if donating and self.donated else exe
        self._executable = exe
        self._pending = None

    def _runner(self) -> Any:
        """What a call runs now: the executable, or while a background build runs (or
        after it failed) the reference executable of this graph (backends/c/background.py)."""
        if self._executable is not None:
            return self._call
        pending = self._pending
        if pending is None:
            wait = self.wait if self.wait is not None else not config.background_compile
            started = self.executable() if wait else start_for(self.backend, self.graph)
            if not isinstance(started, Pending):
                if self._executable is None:
                    self._install(started)
                return self._call
            self._pending = pending = started
        if not pending.done:
            return pending.reference
        if pending.error is None:
            self._install(pending.poll())
            return self._call
        _report_failure(self, pending)
        self._install(pending.reference)       # the reference for good: same results
        return self._call

    def source(self) -> str:
        pending = self._pending
        return pending.source if pending is not None else self.executable().source

    def hot_path(self) -> Callable[[tuple], Any] | None:
        """`call(args)` -> result for exactly this signature's plain ndarray arguments,
        None for any others (the executable's `exact` call, which also builds the
        result); None where the backend has no such call, and while the executable
        builds in the background."""
        if self._hot is _UNSET:
            self._runner()
            if self._executable is None:
                return None
            exact = getattr(self._executable, "exact", None)
            # (a graph that draws goes through run(): numbers are drawn once per call)
            weak = [spec.weak for spec in self.key.leaves]
            self._hot = (exact(self.donated, self._build, weak) if exact is not None
                         and not self._int_bounds and not self._draws else None)
        return self._hot

    def compile(self) -> Compiled:
        return Compiled(self)

    def run(self, flat_inputs: Sequence[Any]) -> Any:
        """This signature's result for its flat leaves: arrays of any layout, and the
        Python or numpy scalars of scalar leaves."""
        if self._int_bounds:
            flat_inputs = self._arrays(flat_inputs)
        for k, dtype in self._int_bounds:
            value = flat_inputs[k]
            if value.astype(dtype) != value:
                raise OverflowError(f"argument {self._paths[k]}: Python integer {value} out "
                                    f"of bounds for {dtype}")
        hot = self.hot_path()
        if hot is not None:
            out = hot(tuple(flat_inputs))
            if out is not None:
                return out
        flat_inputs = self._arrays(flat_inputs)
        if self._draws:
            flat_inputs = list(flat_inputs) + replay(self._draws)
        outs = self._runner()(flat_inputs)  # converts other layouts, or raises naming them
        return outs[0] if self._build is None else self._build(outs)


    def _arrays(self, flat_inputs: Sequence[Any]) -> Sequence[Any]:
        """Scalar leaves as the 0-d arrays the executables take (leaf_spec's conversion,
        which also raises naming the argument, e.g. for an int beyond int64)."""
        if all(type(x) is np.ndarray for x in flat_inputs):
            return flat_inputs
        return [x if type(x) is np.ndarray else leaf_spec(x, path)[1]
                for x, path in zip(flat_inputs, self._paths)]


def _report_failure(lowered: Lowered, pending: Any) -> None:
    """The one warning of a background compile that failed (the compiler's message)."""
    name = lowered.name or "a compiled function"
    warnings.warn(f"tracer: the C module of {name} failed to compile in the background; "
                  f"it runs on the reference executor (numpy) instead:\n{pending.error}",
                  BackgroundCompileWarning, stacklevel=4)


class Compiled:
    """A compiled function for exactly one signature; other arguments are refused."""

    def __init__(self, lowered: Lowered):
        self.lowered = lowered
        lowered.executable()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        low = self.lowered
        tree, static, nums = low._plan.split(args, kwargs)
        leaves, treedef = pytree.flatten(tree)
        if treedef != low.key.treedef:
            raise TypeError(low._plan.structure_mismatch(treedef, low.key.treedef, nums))
        if static != low.key.static:
            raise TypeError(low._plan.static_mismatch(static, low.key.static))
        arrays = []
        for path, leaf, want in zip(low._paths, leaves, low.key.leaves):
            spec, arr = leaf_spec(leaf, path)
            if spec.type != want.type:
                kind = "dtype" if spec.type.dtype != want.type.dtype else "shape"
                raise TypeError(f"argument {path}: expected {want.type}, got {spec.type} "
                                f"(wrong {kind}); call the tr.compile function to re-trace "
                                "for new shapes or dtypes")
            arrays.append(arr)
        return low.run(arrays)

    def source(self) -> str:
        return self.lowered.source()


class _WeakMethod:
    """`fn` bound to `obj` through a weak reference, with the bound method's signature."""

    def __init__(self, fn: Callable[..., Any], obj: Any, objtype: Any):
        functools.update_wrapper(self, fn)
        self.__signature__ = inspect.signature(fn.__get__(obj, objtype))
        self._fn = fn
        self._ref = weakref.ref(obj)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        obj = self._ref()
        if obj is None:
            raise ReferenceError("the instance of this compiled method no longer exists")
        return self._fn(obj, *args, **kwargs)


class _BoundCompiled:
    """What `obj.method` gives: the instance's cached CompiledFunction, holding the
    instance alive for as long as this (like a bound method does)."""

    def __init__(self, compiled: CompiledFunction, obj: Any):
        self._compiled = compiled
        self.__self__ = obj

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._compiled(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._compiled, name)


_MATCHERS_KEPT = 8
_UNSET = object()


class CompiledFunction:
    """What `@tr.compile` returns: a cache of Lowered functions keyed by signature."""

    def __init__(self, fn: Callable[..., Any], backend: str | None = None,
                 static_argnums: int | Sequence[int] = (),
                 static_argnames: str | Sequence[str] = (),
                 donate_argnums: int | Sequence[int] = (),
                 donate_argnames: str | Sequence[str] = (),
                 wait: bool | None = None):
        if not callable(fn):
            raise TypeError(f"tr.compile: fn must be callable, got {type(fn).__name__}")
        if backend is not None and not isinstance(backend, str):
            raise TypeError(f"tr.compile: backend must be a string, got {type(backend).__name__}")
        if wait is not None and not isinstance(wait, bool):
            raise TypeError(f"tr.compile: wait must be True, False or None, got {wait!r}")
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.backend = backend
        self._options = (_argnums(static_argnums, "static_argnums"),
                         _argnames(static_argnames, "static_argnames"),
                         _argnums(donate_argnums, "donate_argnums"),
                         _argnames(donate_argnames, "donate_argnames"), wait)
        self._plan = ArgumentPlan(fn, *self._options[:4])
        self._cache: dict[CallKey, Lowered] = {}
        # The common call (plain ndarrays, no keywords, nothing static) skips the
        # pytree walk: (dtype, shape) per argument is the whole signature.
        self._fast: dict[tuple, Lowered] = {}
        self._hot: Callable[[tuple], Any] | None = None   # see __call__
        self._keyed_hot: Callable[[tuple, dict], Any] | None = None
        # pytree calls: the matchers of recently used signatures, newest first
        self._matchers: list[tuple[Matcher, Lowered]] = []
        self._bound: dict[int, tuple[weakref.ref, CompiledFunction]] = {}

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        """`obj.method`: one CompiledFunction (one cache) per live instance.

        Instances are keyed by id and watched by a weak reference, so unhashable
        instances (dataclasses) keep their cache too, and the cache neither keeps
        the instance alive nor outlives it.
        """
        if obj is None:
            return self
        entry = self._bound.get(id(obj))
        if entry is not None and entry[0]() is obj:
            return _BoundCompiled(entry[1], obj)
        try:
            ref = weakref.ref(obj, lambda _, key=id(obj), table=self._bound: table.pop(key, None))
        except TypeError:  # no weak references (__slots__): a fresh cache per access
            return CompiledFunction(self.fn.__get__(obj, objtype), self.backend, *self._options)
        bound = CompiledFunction(_WeakMethod(self.fn, obj, objtype), self.backend, *self._options)
        self._bound[id(obj)] = (ref, bound)
        return _BoundCompiled(bound, obj)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        tracing_now = current_trace() is not None
        hot = self._hot
        if hot is not None and not kwargs and not tracing_now:
            out = hot(args)          # the last plain signature, checked and run (in C)
            if out is not None:
                return out
        keyed_hot = self._keyed_hot
        if keyed_hot is not None and not tracing_now:
            out = keyed_hot(args, kwargs)    # the last one with keywords or static values
            if out is not None:
                return out
        # arrays of any layout, scalars, keywords, static values: one key, one dict lookup
        keyed = None if tracing_now else call_key(args, kwargs, self._plan.static_nums,
                                                  self._plan.static_names)
        lowered = None
        if keyed is not None:
            try:
                lowered = self._fast.get(keyed[0])
            except TypeError:        # an unhashable static value: the general path says so
                keyed = None
        if lowered is not None:
            self._note_hot(lowered, args, kwargs, keyed[1])
            return lowered.run(keyed[1])
        if not (kwargs or self._plan.static_nums or tracing_now):
            for match, lowered in self._matchers:
                flat = match(args)
                if flat is not None:
                    return lowered.run(flat)
        if keyed is None and (tracing_now or _has_proxy((args, kwargs))):
            # inside a trace: inline, also when only a closure holds traced values
            return self.fn(*args, **kwargs)
        tree, static, nums = self._plan.split(args, kwargs)
        leaves, treedef = pytree.flatten(tree)
        lowered, arrays = self._lookup(tree, leaves, treedef, static, nums, args, kwargs)
        if keyed is not None:
            self._fast[keyed[0]] = lowered
            self._note_hot(lowered, args, kwargs, keyed[1])
        elif lowered.matcher is not None and not kwargs:
            self._remember(lowered)
        return lowered.run(arrays)

    def _note_hot(self, lowered: Lowered, args: tuple, kwargs: dict, flat: Any) -> None:
        """Make `lowered` the signature the next call tries first (plain, or keyed)."""
        if not kwargs and len(flat) == len(args):
            self._hot = lowered.hot_path()
            return
        hot = lowered.hot_path()
        self._keyed_hot = None if hot is None else keyed_caller(
            args, kwargs, self._plan.static_nums, self._plan.static_names, hot)

    def _remember(self, lowered: Lowered) -> None:
        entries = [e for e in self._matchers if e[1] is not lowered]
        self._matchers = [(lowered.matcher, lowered)] + entries[:_MATCHERS_KEPT - 1]

    def _lookup(self, tree, leaves, treedef, static, nums, args, kwargs) -> tuple[Lowered, list]:
        specs, arrays = [], []
        paths = None
        for i, leaf in enumerate(leaves):
            try:
                spec, arr = leaf_spec(leaf, f"#{i}")
            except (TypeError, OverflowError):
                paths = self._plan.leaf_paths(tree, nums, treedef)
                leaf_spec(leaf, paths[i])  # raises again, naming the argument
                raise
            specs.append(spec)
            arrays.append(arr)
        key = CallKey(treedef, tuple(specs), static)
        lowered = self._cache.get(key)
        if lowered is None:
            lowered = self._lower_new(key, tree, treedef, static, nums, args, kwargs)
            self._cache[key] = lowered
        return lowered, arrays

    def _lower_new(self, key, tree, treedef, static, nums, args, kwargs) -> Lowered:
        if self._plan.signature is not None:
            try:
                self._plan.signature.bind(*args, **kwargs)
            except TypeError as err:
                raise TypeError(f"{getattr(self.fn, '__name__', 'function')}(): {err}") from None
        paths = self._plan.leaf_paths(tree, nums, treedef)
        traced = trace_function(self.fn, treedef, key.leaves, paths,
                                lambda t: self._plan.rebuild(t, static))
        traced = rolled_function(traced)           # Python loops -> SCAN (loops/roll.py)
        return self._lowered(Lowered(traced, self.backend or config.backend, key, paths,
                                     self._plan, self._plan.donated_leaves(treedef, nums)))

    def _lowered(self, lowered: Lowered) -> Lowered:
        lowered.wait = self._options[4]
        lowered.name = getattr(self.fn, "__qualname__", None) or getattr(self.fn, "__name__", None)
        return lowered

    def lower(self, *args: Any, **kwargs: Any) -> Lowered:
        tree, static, nums = self._plan.split(args, kwargs)
        leaves, treedef = pytree.flatten(tree)
        return self._lookup(tree, leaves, treedef, static, nums, args, kwargs)[0]

    def __reduce__(self) -> tuple:
        """By name or by function, with the traced signatures (see the module docstring)."""
        where = _global_name(self)
        if where is not None:
            return (_from_module, (*where, self._shipped()))
        return (_rebuild, (token_of(self), self.fn, self.backend, self._options,
                           self._shipped()))

    def _shipped(self) -> list[tuple]:
        """Each traced signature as (key, traced function, leaf paths, donated leaves):
        what a Lowered is made of, less what the receiver makes itself."""
        return [(key, low.traced, low._paths, low.donated) for key, low in self._cache.items()]

    def _seed(self, shipped: list[tuple]) -> None:
        """Add the signatures another process traced (those not traced here already)."""
        backend = self.backend or config.backend
        for key, traced, paths, donated in shipped:
            if key not in self._cache:
                self._cache[key] = self._lowered(Lowered(traced, backend, key, paths,
                                                         self._plan, donated))

    def clear_cache(self) -> None:
        self._cache.clear()
        self._fast.clear()
        self._hot = None
        self._keyed_hot = None
        self._matchers.clear()

    @property
    def cache_size(self) -> int:
        return len(self._cache)


def _global_name(obj: Any) -> tuple[str, str] | None:
    """(module, qualified name) where that name in an importable module holds `obj`.
    Never `__main__`: a dask worker's `__main__` is not the script that made `obj`."""
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(qualname, str) or module == "__main__":
        return None
    found: Any = sys.modules.get(module)
    for part in qualname.split("."):
        found = getattr(found, part, None)
    return (module, qualname) if found is obj else None


def _from_module(module: str, qualname: str, shipped: list[tuple]) -> CompiledFunction:
    found: Any = importlib.import_module(module)
    for part in qualname.split("."):
        found = getattr(found, part)
    if not isinstance(found, CompiledFunction):
        raise TypeError(f"unpickling {module}.{qualname}: expected a tr.compile function, "
                        f"found a {type(found).__name__}")
    found._seed(shipped)
    return found


def _rebuild(token: str, fn: Callable[..., Any], backend: str | None, options: tuple,
             shipped: list[tuple]) -> CompiledFunction:
    compiled = received(token, lambda: CompiledFunction(fn, backend, *options))
    compiled._seed(shipped)
    return compiled


def compile(fn: Callable[..., Any] | None = None, *, backend: str | None = None,
            static_argnums: int | Sequence[int] = (),
            static_argnames: str | Sequence[str] = (),
            donate_argnums: int | Sequence[int] = (),
            donate_argnames: str | Sequence[str] = (),
            wait: bool | None = None) -> Any:
    """Compile `fn`; usable as `@tr.compile` or `@tr.compile(backend=..., ...)`.
    `donate_argnums`/`donate_argnames`: as jax.jit's (see the module docstring).
    `wait`: True always waits for the C compiler; False runs the first calls on the
    reference executor while a new module builds in the background; None (default):
    tr.config.background_compile decides (see the module docstring)."""
    options = (static_argnums, static_argnames, donate_argnums, donate_argnames, wait)
    if fn is None:
        return lambda f: CompiledFunction(f, backend, *options)
    return CompiledFunction(fn, backend, *options)
