"""np.random inside traced functions: fresh numbers on every call, from numpy's own stream.

A random call in a traced function is not computed at trace time (its numbers
would be frozen into the compiled function). It becomes a *draw*: a graph input
that the compiled function fills on every call by making the same numpy call
again, before running the compiled code. Draws are replayed in the order the
function made them, `np.random.seed(...)` calls included, so a compiled function
takes exactly the numbers that running it eagerly would have taken from the same
stream: `np.random.seed(0); f(x)` gives the same result compiled or not.

Where numbers come from:
* `np.random.<fn>` (the global RandomState): patched while a function is traced;
  other threads, which are not tracing, reach the original functions.
* A `np.random.Generator` or `RandomState` passed as an argument: the traced
  function sees a stand-in that records its draws; each call draws from the
  generator passed in that call (generators are static arguments: a new object
  is a new trace). Generators made inside the function (`default_rng(seed)`)
  are made again on every call.
* Anything else that draws from a generator at trace time (a generator kept in
  a global or a closure, a library drawing from the global state by another
  path) is caught by comparing generator states before and after tracing, and
  raises a TypeError naming the generator: never a frozen constant.

Parameters must be concrete, except the location and scale of `normal` and the
bounds of `uniform` (numpy computes those as loc + scale * standard_normal and
low + (high - low) * random: the same stream), and the population of
`permutation`, `choice` and `shuffle` (drawn as indices, numpy's way).
"""
from __future__ import annotations

import contextlib
import pickle
import threading
import types
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import numpy as np

from ..ir import Node, make_param, tensor_type
from .context import current_trace, user_loc
from .errors import at_line
from .proxy import Proxy, contains_proxy, wrap

_GLOBAL = np.random.mtrand._rand
# the classes themselves (np.random's names are patched while tracing)
_RandomState, _Generator, _PCG64 = np.random.RandomState, np.random.Generator, np.random.PCG64
SOURCES = (_Generator, _RandomState)
# methods that draw (the rest, like bit_generator, are passed through)
_LEGACY = frozenset(n for n in dir(np.random) if getattr(
    getattr(np.random, n), "__self__", None) is _GLOBAL) - {"get_state", "set_state"}
_DRAWING = (_LEGACY | frozenset(n for n in dir(np.random.Generator) if not n.startswith("_"))) \
    - {"bit_generator", "spawn", "bytes"}


@dataclass(frozen=True)
class Step:
    """One numpy call to make again on every call of the compiled function.

    `source` is "global" (np.random's state), "object" (`obj`, a generator passed
    in) or "slot" (the generator a "make" step stored under `slot` this call);
    `param` is the graph input its result feeds, None for seeding or making."""

    source: str
    method: str
    args: tuple
    kwargs: tuple
    param: Node | None = None
    obj: Any = None
    slot: int = -1


def replay(steps: tuple[Step, ...]) -> list[np.ndarray]:
    """The values of one call's draws, in the order of the steps that feed inputs."""
    slots: dict[int, Any] = {}
    values = []
    for step in steps:
        if step.method == "make":
            slots[step.slot] = step.obj(*step.args, **dict(step.kwargs))
            continue
        owner = (np.random if step.source == "global" else
                 step.obj if step.source == "object" else slots[step.slot])
        out = getattr(owner, step.method)(*step.args, **dict(step.kwargs))
        if step.param is not None:
            values.append(np.asarray(out, dtype=step.param.dtype))
    return values


class TracedGenerator:
    """What a traced function sees instead of a numpy Generator or RandomState."""

    def __init__(self, kind: type, step_source: dict[str, Any]):
        self._kind = kind
        self._source = step_source

    def __getattr__(self, name: str) -> Any:
        if name not in _DRAWING:
            if self._source["source"] == "object":
                return getattr(self._source["obj"], name)
            raise TypeError(at_line(f"tracer: {self._kind.__name__}.{name} is not supported on "
                                    "a generator made inside a compiled function", user_loc()))
        return lambda *args, **kwargs: draw(self._kind, name, args, kwargs, **self._source)

    def __repr__(self) -> str:
        return f"Traced<{self._kind.__name__}>"


def stand_in(value: Any) -> Any:
    """A generator argument's stand-in while tracing; other values unchanged."""
    if isinstance(value, SOURCES):
        return TracedGenerator(type(value), {"source": "object", "obj": value})
    return value


def draw(kind: type, method: str, args: tuple, kwargs: dict, source: str, obj: Any = None,
         slot: int = -1) -> Any:
    """Record one draw in the current trace; its value as a traced input."""
    trace = current_trace()
    if trace is None:       # a stand-in used after its trace ended
        raise TypeError("tracer: a traced generator was used outside its traced function")
    if contains_proxy(args) or any(contains_proxy(v) for v in kwargs.values()):
        return _traced_parameters(kind, method, args, kwargs, source, obj, slot)
    if method == "shuffle":
        raise TypeError(at_line(f"tracer: {kind.__name__}.shuffle of a numpy array inside a "
                                "compiled function; use x = rng.permutation(x)", user_loc()))
    sample = getattr(_scratch(kind), method)(*args, **kwargs)
    if sample is None:
        trace.draws.append(Step(source, method, args, tuple(kwargs.items()), None, obj, slot))
        return sample
    arr = np.asarray(sample)
    param = make_param(tensor_type(arr.dtype, arr.shape), f"{kind.__name__}.{method}",
                       user_loc())
    trace.draws.append(Step(source, method, args, tuple(sorted(kwargs.items())), param, obj,
                            slot))
    return wrap(param, weak=not isinstance(sample, (np.ndarray, np.generic)))


def _scratch(kind: type) -> Any:
    """A generator of `kind` used only to learn a draw's dtype and shape."""
    if kind is _RandomState:
        return _RandomState(0)
    return _Generator(_PCG64(0))


# -- draws with traced parameters: standard draws, then traced arithmetic -------------------
def _traced_parameters(kind, method, args, kwargs, source, obj, slot) -> Any:
    call = _TRACED.get(method)
    if call is None:
        raise TypeError(at_line(
            f"tracer: {kind.__name__}.{method} with traced parameters is not supported; draw "
            "with concrete parameters (e.g. standard_normal(size)) and transform the numbers "
            "with traced arithmetic, or pass the parameters as static arguments", user_loc()))
    again = lambda m, *a, **k: draw(kind, m, a, k, source, obj, slot)  # noqa: E731
    return call(again, *args, **kwargs)


def _params_shape(size: Any, *params: Any) -> tuple[int, ...] | int:
    if size is not None:
        return size
    return np.broadcast_shapes(*[np.shape(p) for p in params])


def _normal(again: Callable, loc: Any = 0.0, scale: Any = 1.0, size: Any = None) -> Any:
    return loc + scale * again("standard_normal", size=_params_shape(size, loc, scale))


def _uniform(again: Callable, low: Any = 0.0, high: Any = 1.0, size: Any = None) -> Any:
    return low + (high - low) * again("random", size=_params_shape(size, low, high))


def _population(x: Any, method: str) -> Proxy:
    if not isinstance(x, Proxy) or x.ndim == 0:
        raise TypeError(at_line(f"tracer: {method} of a traced value needs an array of at "
                                "least one dimension", user_loc()))
    return x


def _permutation(again: Callable, x: Any) -> Any:
    x = _population(x, "permutation")
    return x[again("permutation", x.shape[0])]


def _choice(again: Callable, a: Any, size: Any = None, replace: bool = True, p: Any = None,
            **kwargs: Any) -> Any:
    a = _population(a, "choice")
    return a[again("choice", a.shape[0], size, replace, p, **kwargs)]


def _shuffle(again: Callable, x: Any) -> None:
    x = _population(x, "shuffle")
    x.node = x[again("permutation", x.shape[0])].node


_TRACED = {"normal": _normal, "uniform": _uniform, "permutation": _permutation,
           "choice": _choice, "shuffle": _shuffle}


# -- np.random's module functions while tracing -----------------------------------------------
_foreign_draws = [0]     # np.random calls by threads that are not tracing, while patched


def _module_function(name: str, original: Callable) -> Callable:
    def traced(*args: Any, **kwargs: Any) -> Any:
        if current_trace() is None:
            _foreign_draws[0] += 1
            return original(*args, **kwargs)
        return draw(_RandomState, name, args, kwargs, "global")
    traced.__wrapped__ = original
    return traced


def _seed(original: Callable) -> Callable:
    def seed(*args: Any, **kwargs: Any) -> None:
        if current_trace() is None:
            _foreign_draws[0] += 1
            return original(*args, **kwargs)
        if contains_proxy(args):
            raise TypeError(at_line("tracer: np.random.seed of a traced value", user_loc()))
        current_trace().draws.append(Step("global", "seed", args, tuple(kwargs.items())))
    return seed


def _maker(original: Callable, kind: type) -> Callable:
    """default_rng / RandomState inside a traced function: made again on every call."""
    def make(*args: Any, **kwargs: Any) -> Any:
        trace = current_trace()
        if trace is None or contains_proxy(args):
            return original(*args, **kwargs)
        slot = len(trace.draws)
        trace.draws.append(Step("slot", "make", args, tuple(kwargs.items()), obj=original,
                                slot=slot))
        return TracedGenerator(kind, {"source": "slot", "slot": slot})
    return make


_patch_lock = threading.Lock()
_patch_depth = 0


def _patches() -> dict[str, Callable]:
    table = {name: _module_function(name, getattr(np.random, name)) for name in _LEGACY}
    table["seed"] = _seed(np.random.seed)
    table["default_rng"] = _maker(np.random.default_rng, _Generator)
    table["RandomState"] = _maker(_RandomState, _RandomState)
    return table


_ORIGINALS = {name: getattr(np.random, name) for name in _patches()}


@contextlib.contextmanager
def patched_module() -> Iterator[None]:
    """np.random's functions record draws while any thread traces (each checks that its
    own thread is tracing before it does)."""
    global _patch_depth
    with _patch_lock:
        if _patch_depth == 0:
            for name, fn in _patches().items():
                setattr(np.random, name, fn)
        _patch_depth += 1
    try:
        yield
    finally:
        with _patch_lock:
            _patch_depth -= 1
            if _patch_depth == 0:
                for name, fn in _ORIGINALS.items():
                    setattr(np.random, name, fn)


# -- generators drawn from behind tracing's back --------------------------------------------
def _reachable_sources(fn: Any, depth: int = 3) -> dict[str, Any]:
    """Generators that fn reaches through its globals and closures (and those of the
    functions it names, `depth` levels down), by the name it uses for them."""
    found: dict[str, Any] = {"np.random": _GLOBAL}
    seen: set[int] = set()

    def visit(f: Any, level: int) -> None:
        f = getattr(f, "__func__", f)
        code = getattr(f, "__code__", None)
        if code is None or id(f) in seen or level > depth:
            return
        seen.add(id(f))
        values = {n: f.__globals__[n] for n in _names(code) if n in f.__globals__}
        cells = zip(code.co_freevars, f.__closure__ or ())
        for name, cell in cells:
            with contextlib.suppress(ValueError):
                values[name] = cell.cell_contents
        for name, value in values.items():
            if isinstance(value, SOURCES):
                found.setdefault(name, value)
            elif isinstance(value, (types.FunctionType, types.MethodType)) or callable(
                    getattr(value, "fn", None)):
                visit(getattr(value, "fn", value), level + 1)
    visit(fn, 0)
    return found


def _names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _names(const)
    return names


def _state(source: Any) -> bytes:
    bitgen = source.bit_generator if isinstance(source, _Generator) \
        else source._bit_generator
    return pickle.dumps(bitgen.state)


@contextlib.contextmanager
def no_hidden_draws(fn: Any) -> Iterator[None]:
    """Raise if tracing `fn` drew from a generator it reaches without tracer seeing it."""
    sources = _reachable_sources(fn)
    before = {name: _state(s) for name, s in sources.items()}
    foreign = _foreign_draws[0]
    yield
    for name, source in sources.items():
        if source is _GLOBAL and _foreign_draws[0] != foreign:
            continue        # another thread drew meanwhile: the global state tells nothing
        if _state(source) != before[name]:
            what = "np.random's global state" if source is _GLOBAL else f"the generator {name!r}"
            raise TypeError(
                f"tracer: {getattr(fn, '__qualname__', fn)} drew numbers from {what} while "
                "it was traced, by a path tracer does not see (a generator kept in a global "
                "or a closure, or a library call); those numbers would be frozen into the "
                "compiled function. Pass the generator as an argument (f(x, rng)) or call "
                "np.random.<fn> directly: tracer then draws fresh numbers on every call")
