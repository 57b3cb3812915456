"""Documented differences from numpy: the mismatches the fuzzer reports as expected.

Each entry names a difference written down in README.md ("Differences from numpy") and
says precisely which mismatches it covers; a program's mismatch is documented only when
every problem it shows is covered by some entry.
"""
from __future__ import annotations

import ast
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Known:
    name: str
    why: str
    matches: Callable[[Any, str], bool]     # (program, problem line) -> covered?


def _statements(source: str) -> tuple[list[ast.stmt], ast.expr]:
    fn = ast.parse(source).body[0]
    assert isinstance(fn, ast.FunctionDef)
    *body, ret = fn.body
    assert isinstance(ret, ast.Return) and ret.value is not None
    return body, ret.value


def _target(stmt: ast.stmt) -> str:
    node = stmt.targets[0] if isinstance(stmt, ast.Assign) else None
    while isinstance(node, ast.Subscript):
        node = node.value
    return node.id if isinstance(node, ast.Name) else ""


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _run(statements: list[ast.stmt], env: dict[str, Any]) -> int | None:
    """Index of the first statement numpy rejects, or None."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for k, stmt in enumerate(statements):
            try:
                exec(compile(ast.Module([stmt], []), "<fuzz>", "exec"), env)
            except Exception:       # noqa: BLE001 - numpy's error is what is looked for
                return k
    return None


def dead_error(program: Any, problem: str) -> bool:
    """numpy raised in a line whose value the program never uses, and the lines it does
    use run without error: tracer builds only what the results need, so that line's
    error (an out-of-bounds traced index, a negative integer power) is never raised."""
    if "missed error" not in problem:
        return False
    args = program.other_args() if "new values" in problem else program.args
    body, returned = _statements(program.source)
    bad = _run(body, {"np": np, **dict(zip(program.arg_names, args))})
    if bad is None:
        return False
    live, kept = _names(returned), []
    for stmt in reversed(body):
        if _target(stmt) in live:
            live |= _names(stmt)
            kept.insert(0, stmt)
    if _target(body[bad]) in live:
        return False
    return _run(kept, {"np": np, **dict(zip(program.arg_names, args))}) is None


def optimized_away(program: Any, problem: str) -> bool:
    """numpy raised in a line whose value cannot change the results (np.where(c, x, x)
    reads its x[i] only nominally): the optimizer removes that computation and with it
    the error; with the optimizer off (tr.config.optimize = False) tracer raises it."""
    if "missed error" not in problem:
        return False
    import tracer as tr

    args = program.other_args() if "new values" in problem else program.args
    want = problem.split("numpy ", 1)[1].split(":", 1)[0]
    saved = tr.config.optimize
    tr.config.optimize = False
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            tr.compile(program.function(), backend="python")(*args)
    except Exception as err:        # noqa: BLE001 - compared by class name
        return any(c.__name__ == want for c in type(err).__mro__)
    finally:
        tr.config.optimize = saved
    return False


def _uint32_cast_inputs(program: Any, args: list[Any]) -> list[np.ndarray]:
    """The values each `.astype(np.uint32)` of the program converts (numpy's run)."""
    body, returned = _statements(program.source)
    body = [*body, ast.Expr(returned)]
    env: dict[str, Any] = {"np": np, **dict(zip(program.arg_names, args))}
    seen = []
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for stmt in body:
            for node in ast.walk(stmt):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                        and node.func.attr == "astype" and "uint32" in ast.unparse(node.args):
                    try:
                        seen.append(np.asarray(eval(ast.unparse(node.func.value), env)))
                    except Exception:   # noqa: BLE001 - that line raises: nothing cast
                        pass
            try:
                exec(compile(ast.Module([stmt], []), "<fuzz>", "exec"), env)
            except Exception:       # noqa: BLE001
                break
    return seen


def undefined_uint32_cast(program: Any, problem: str) -> bool:
    """A float NaN, +-inf or a value outside [-2**31, 2**32) cast to uint32: numpy warns
    (invalid value) and its answer depends on the layout, the length and the element's
    place in the array (its SIMD loop and its scalar loop differ); the C backend gives
    the SIMD loop's, the reference backend numpy's own for its layout."""
    if not problem.startswith("[c ") or "!= numpy's" not in problem:
        return False
    args = program.other_args() if "new values" in problem else program.args
    for x in _uint32_cast_inputs(program, args):
        if x.dtype.kind == "f" and x.size:
            with np.errstate(invalid="ignore"):
                wide = x.astype(np.float64)
                if (~np.isfinite(wide) | (wide <= -(2.0**31) - 1) | (wide >= 2.0**32)).any():
                    return True
    return False


def huge_int_argument(program: Any, problem: str) -> bool:
    """A Python int argument is traced as an int64 value; one beyond int64 is refused."""
    return "OverflowError: argument" in problem and "does not fit int64" in problem and any(
        isinstance(a, int) and not isinstance(a, bool) and not -(2**63) <= a < 2**63
        for a in program.args)


def bool_with_advanced_index(program: Any, problem: str) -> bool:
    """x[True, 0] and the like: numpy broadcasts the bool with the other index arrays."""
    return "IndexError: tracer supports a bare bool in an index only with" in problem


KNOWN: list[Known] = [
    Known("dead-code errors", "README: Differences from numpy, unused values", dead_error),
    Known("errors of optimized-away values", "README: Differences from numpy, unused values",
          optimized_away),
    Known("float to uint32 casts of NaN, inf and out-of-range values",
          "README: Differences from numpy, casts", undefined_uint32_cast),
    Known("Python int arguments beyond int64", "README: Differences from numpy, Python ints",
          huge_int_argument),
    Known("bare bool with integer or array indices", "README: Differences from numpy, indexing",
          bool_with_advanced_index),
]


def documented(program: Any, problems: list[str]) -> list[str]:
    """The names of the documented differences covering all `problems`, or []."""
    names = []
    for problem in problems:
        hit = next((k for k in KNOWN if k.matches(program, problem)), None)
        if hit is None:
            return []
        if hit.name not in names:
            names.append(hit.name)
    return names
