"""Pytrees: nested tuples, lists and dicts of leaves, flattened and rebuilt.

Dict keys are sorted, as in JAX, so {"b":..., "a":...} and {"a":..., "b":...}
flatten alike. None is an empty subtree.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class TreeDef:
    """The structure of a pytree: kind, static data (dict keys), children."""

    kind: str  # "leaf", "none", "tuple", "list", "dict", "namedtuple"
    data: Any = None
    children: tuple[TreeDef, ...] = ()

    def __hash__(self) -> int:
        # Computed once: a tree's hash is taken on every cached call.
        try:
            return self.__dict__["_hash"]
        except KeyError:
            value = hash((self.kind, self.data, self.children))
            object.__setattr__(self, "_hash", value)
            return value

    def __reduce__(self) -> tuple:
        # Not the cached hash (a hash of dict keys differs between processes), and
        # a leaf or None comes back as the LEAF or NONE singleton, which callers test by `is`.
        return (_load_treedef, (self.kind, self.data, self.children))

    @property
    def num_leaves(self) -> int:
        if self.kind == "leaf":
            return 1
        return sum(c.num_leaves for c in self.children)

    def __str__(self) -> str:
        if self.kind == "leaf":
            return "*"
        if self.kind == "none":
            return "None"
        inner = ", ".join(map(str, self.children))
        if self.kind == "dict":
            inner = ", ".join(f"{k!r}: {c}" for k, c in zip(self.data, self.children))
            return "{" + inner + "}"
        if self.kind == "list":
            return f"[{inner}]"
        if self.kind == "namedtuple":
            return f"{self.data.__name__}({inner})"
        return f"({inner}{',' if len(self.children) == 1 else ''})"


LEAF = TreeDef("leaf")
NONE = TreeDef("none")


def _load_treedef(kind: str, data: Any, children: tuple[TreeDef, ...]) -> TreeDef:
    if kind == "leaf":
        return LEAF
    if kind == "none":
        return NONE
    return TreeDef(kind, data, children)


def flatten(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> tuple[list[Any], TreeDef]:
    leaves: list[Any] = []
    return leaves, _flatten(tree, leaves, is_leaf)


def _flatten(tree: Any, leaves: list[Any], is_leaf: Callable[[Any], bool] | None) -> TreeDef:
    if is_leaf is not None and is_leaf(tree):
        leaves.append(tree)
        return LEAF
    if tree is None:
        return NONE
    if isinstance(tree, tuple):
        children = tuple(_flatten(c, leaves, is_leaf) for c in tree)
        if hasattr(tree, "_fields"):
            return TreeDef("namedtuple", type(tree), children)
        return TreeDef("tuple", None, children)
    if isinstance(tree, list):
        return TreeDef("list", None, tuple(_flatten(c, leaves, is_leaf) for c in tree))
    if isinstance(tree, dict):
        keys = tuple(sorted(tree))
        return TreeDef("dict", keys, tuple(_flatten(tree[k], leaves, is_leaf) for k in keys))
    leaves.append(tree)
    return LEAF


def unflatten(treedef: TreeDef, leaves: Any) -> Any:
    it = iter(leaves)
    out = _build(treedef, it)
    if next(it, _END) is not _END:
        raise ValueError("too many leaves for the tree structure")
    return out


_END = object()


def _build(td: TreeDef, it: Any) -> Any:
    if td.kind == "leaf":
        value = next(it, _END)
        if value is _END:
            raise ValueError("too few leaves for the tree structure")
        return value
    if td.kind == "none":
        return None
    children = [_build(c, it) for c in td.children]
    if td.kind == "tuple":
        return tuple(children)
    if td.kind == "list":
        return children
    if td.kind == "namedtuple":
        return td.data(*children)
    return dict(zip(td.data, children))


def builder(treedef: TreeDef) -> Callable[[Any], Any]:
    """`unflatten(treedef, leaves)` as one generated expression, for results rebuilt on
    every call of a compiled function (no iterator, no recursion)."""
    ns: dict[str, Any] = {}
    counter = iter(range(treedef.num_leaves))

    def expr(td: TreeDef) -> str:
        if td.kind == "leaf":
            return f"o[{next(counter)}]"
        if td.kind == "none":
            return "None"
        parts = [expr(c) for c in td.children]
        if td.kind == "tuple":
            return "(" + "".join(p + ", " for p in parts) + ")"
        if td.kind == "list":
            return "[" + ", ".join(parts) + "]"
        name = f"C{len(ns)}"
        if td.kind == "namedtuple":
            ns[name] = td.data
            return f"{name}(" + ", ".join(parts) + ")"
        ns[name] = td.data
        return "{" + ", ".join(f"{name}[{i}]: {p}" for i, p in enumerate(parts)) + "}"

    source = f"def build(o):\n    return {expr(treedef)}\n"
    exec(compile(source, "<tracer pytree>", "exec"), ns)
    return ns["build"]


def tree_map(fn: Callable[..., Any], tree: Any, *rest: Any) -> Any:
    leaves, td = flatten(tree)
    others = [flatten(r)[0] for r in rest]
    return unflatten(td, [fn(x, *ys) for x, *ys in zip(leaves, *others)])


def leaf_paths(treedef: TreeDef, prefix: str = "") -> list[str]:
    """A readable path per leaf, e.g. `params['W']`, for error messages."""
    if treedef.kind == "leaf":
        return [prefix]
    if treedef.kind == "dict":
        return [p for k, c in zip(treedef.data, treedef.children)
                for p in leaf_paths(c, f"{prefix}[{k!r}]")]
    return [p for i, c in enumerate(treedef.children) for p in leaf_paths(c, f"{prefix}[{i}]")]
