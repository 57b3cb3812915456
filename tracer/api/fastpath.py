"""Generated Python that recognizes a compiled signature without walking pytrees.

A call with a dict of parameters spent most of its time flattening the pytree, building
a TreeDef and hashing it, before any compiled code ran (32 of 49 µs for one SGD step of
a small MLP). A matcher is the same check written out for one signature: straight-line
type/len/dtype/shape tests that either return the flat list of leaves or None, in which
case the caller takes the general path, which then traces, errors or picks another
signature exactly as before.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy import generic, ndarray

from ..trace import LeafSpec, pytree

Matcher = Callable[[tuple], "list[np.ndarray] | None"]
_MISSING = object()


class _Writer:
    """Accumulates the matcher's lines and the constants they refer to."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.ns: dict[str, Any] = {"ndarray": np.ndarray, "MISSING": _MISSING}
        self.leaves: list[str] = []
        self.count = 0

    def name(self, prefix: str, value: Any = _MISSING) -> str:
        self.count += 1
        name = f"{prefix}{self.count}"
        if value is not _MISSING:
            self.ns[name] = value
        return name

    def refuse_if(self, condition: str) -> None:
        self.lines += [f"    if {condition}:", "        return None"]


def _match_node(w: _Writer, td: pytree.TreeDef, var: str) -> None:
    if td.kind == "leaf":
        w.leaves.append(var)
        return
    if td.kind == "none":
        w.refuse_if(f"{var} is not None")
        return
    n = len(td.children)
    if td.kind in ("tuple", "list"):
        w.refuse_if(f"type({var}) is not {td.kind} or len({var}) != {n}")
        items = [f"{var}[{i}]" for i in range(n)]
    elif td.kind == "namedtuple":
        w.refuse_if(f"type({var}) is not {w.name('NT', td.data)}")
        items = [f"{var}[{i}]" for i in range(n)]
    else:  # dict: same size and every key present means the same keys
        w.refuse_if(f"type({var}) is not dict or len({var}) != {n}")
        items = []
        for key in td.data:
            child = w.name("v")
            w.lines.append(f"    {child} = {var}.get({w.name('K', key)}, MISSING)")
            w.refuse_if(f"{child} is MISSING")
            items.append(child)
    for item, child_td in zip(items, td.children):
        child = w.name("v")
        w.lines.append(f"    {child} = {item}")
        _match_node(w, child_td, child)


_WEAK_TYPES = {"c": complex, "f": float, "i": int, "b": bool}


def make_matcher(args_treedef: pytree.TreeDef, leaves: Sequence[LeafSpec]) -> Matcher | None:
    """A matcher for positional arguments of structure `args_treedef` whose leaves are
    ndarrays of exactly `leaves`' types (any strides), numpy scalars for 0-d leaves, and
    for weak leaves Python scalars of exactly the traced type (float, int, bool)."""
    w = _Writer()
    _match_node(w, args_treedef, "args")
    for var, spec in zip(w.leaves, leaves):
        dtype, shape = w.name("D", spec.type.dtype), w.name("SH", spec.type.shape)
        if spec.weak:
            kind = w.name("T", _WEAK_TYPES[spec.type.dtype.kind])
            w.refuse_if(f"type({var}) is not {kind}")
            continue
        array = f"type({var}) is ndarray and {var}.dtype is {dtype} and {var}.shape == {shape}"
        if spec.type.ndim == 0:
            array += f" or type({var}) is {w.name('G', spec.type.dtype.type)}"
        w.refuse_if(f"not ({array})")
    w.lines.append(f"    return [{', '.join(w.leaves)}]")
    source = "def match(args):\n" + "\n".join(w.lines) + "\n"
    exec(compile(source, "<tracer signature>", "exec"), w.ns)
    return w.ns["match"]


# -- the call key of flat arguments --------------------------------------------------------
# A leaf's part of the key: (dtype, shape) for an ndarray (any strides) or a numpy scalar
# (a 0-d leaf); the type itself for a Python float, int or bool (a weak leaf). Anything
# else (a pytree, a list, None, a proxy) has no key: the caller takes its general path.
_SCALARS = (float, int, bool)


def leaf_key(value: Any) -> Any:
    kind = type(value)
    if kind is np.ndarray:
        return (value.dtype, value.shape)
    if kind in _SCALARS:
        return kind
    if isinstance(value, np.generic):
        return (value.dtype, ())
    return None


def call_key(args: tuple, kwargs: dict, static_nums: frozenset[int],
             static_names: frozenset[str]) -> tuple[tuple, Sequence[Any]] | None:
    """(key, flat leaves) of a call whose traced arguments are all leaves (arrays and
    scalars), keyword arguments and static arguments included, else None. The key holds
    each leaf's key (leaf_key), each static value and the keywords' names; the leaves
    come in the order of the traced signature (positional, then keywords by name)."""
    key: list[Any] = []
    if not kwargs and not static_nums:          # the common call, written out
        for value in args:
            kind = type(value)
            if kind is ndarray:
                key.append((value.dtype, value.shape))
            elif kind is float or kind is int or kind is bool:
                key.append(kind)
            elif isinstance(value, generic):
                key.append((value.dtype, ()))
            else:
                return None
        return tuple(key), args
    flat: list[Any] = []
    n = len(args)
    nums = {i if i >= 0 else i + n for i in static_nums}
    for i, value in enumerate(args):
        if i in nums:
            key.append((_STATIC, value))
            continue
        part = leaf_key(value)
        if part is None:
            return None
        key.append(part)
        flat.append(value)
    if kwargs:
        key.append(tuple(kwargs))
        for name in sorted(kwargs):
            value = kwargs[name]
            if name in static_names:
                key.append((_STATIC, value))
                continue
            part = leaf_key(value)
            if part is None:
                return None
            key.append(part)
            flat.append(value)
    return tuple(key), flat


_STATIC = object()


def keyed_caller(args: tuple, kwargs: dict, static_nums: frozenset[int],
                 static_names: frozenset[str],
                 call: Callable[[tuple], Any]) -> Callable[[tuple, dict], Any]:
    """Generated Python for calls shaped like this one (the same number of positional
    arguments, the same keywords, the same static values: each of its type and equal):
    `hot(args, kwargs)` puts the traced leaves in order and returns `call(leaves)` (a C
    builtin that checks them and returns None for others), or None."""
    n = len(args)
    nums = {i if i >= 0 else i + n for i in static_nums}
    ns: dict[str, Any] = {"call": call, "MISSING": _MISSING}
    lines = ["def hot(args, kwargs):",
             f"    if len(args) != {n} or len(kwargs) != {len(kwargs)}:", "        return None"]
    if n:
        lines.append(f"    {''.join(f'a{i}, ' for i in range(n))}= args")
    flat = []

    def static(var: str, tag: str, value: Any) -> None:
        ns[f"S{tag}"], ns[f"T{tag}"] = value, type(value)
        lines.extend([f"    if type({var}) is not T{tag} or {var} != S{tag}:",
                      "        return None"])
    for i in range(n):
        if i in nums:
            static(f"a{i}", str(i), args[i])
        else:
            flat.append(f"a{i}")
    for j, name in enumerate(sorted(kwargs)):
        ns[f"K{j}"] = name
        lines.extend([f"    k{j} = kwargs.get(K{j}, MISSING)", f"    if k{j} is MISSING:",
                      "        return None"])
        if name in static_names:
            static(f"k{j}", f"k{j}", kwargs[name])
        else:
            flat.append(f"k{j}")
    lines.append(f"    return call(({''.join(f'{v}, ' for v in flat)}))")
    exec(compile("\n".join(lines) + "\n", "<tracer keyed call>", "exec"), ns)
    return ns["hot"]
