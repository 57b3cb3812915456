"""Stop tracing a long loop once its steps are known to repeat: the trace of a T-step
Python loop costs a few steps, not T.

loops/roll.py rolls a loop after Python has run every step, so tracing costs O(T)
(about 50 us per traced operation and step). Here, when a `for` loop at the top of the
trace has run STEPS steps and at least MIN_LEFT are left, the steps so far are matched
(loops/match.py); when they repeat one computation and nothing Python can see will
differ in the steps left, the SCAN for all T steps is built at once (rollscan.py), the
user's frame gets the values the loop would have left (its carried and last-step
variables read the SCAN's outputs, the loop variable its last value) and the loop ends.

"Nothing Python can see will differ" is checked, conservatively:
* the loop body (the `for` statement's own bytecode) has no conditional jump, break,
  return or raise, and uses an integer loop variable only as an index (`xs[t]`,
  `h[:, t - 1]`, `hs[t] = ...`), never as a number, a call argument or a condition;
* between the last two steps, the frame's variables changed only to traced values of
  that step (or the loop variable); lists, dicts and objects' attributes kept their
  contents, numpy arrays their bytes;
* each sequence row moves linearly within its array's bounds for all T steps, and no
  step draws random numbers or reads a per-step constant.
A program that reads a value of the skipped steps some other way (an object deeper
than one level, a global) would read a node of the abandoned steps: the finished trace
is checked for that (trace/marks.py, LoopMarks.escaped), and the function is traced
again without skipping.
"""
from __future__ import annotations

import ctypes
import dis
import types
from typing import Any

import numpy as np

from ..ir import Node, toposort
from ..ir.node import created_observer
from ..trace import loop_marks, prims
from ..trace.marks import LoopMarks, Run
from ..trace.proxy import Proxy, wrap
from .match import Iterations, Mismatch
from .rollscan import build_scan

STEPS = 4              # steps traced before trying
MIN_LEFT = 8           # steps that must be left to make it worth it
_INDEX_OPS = frozenset({"LOAD_CONST", "BINARY_OP", "BUILD_SLICE", "BUILD_TUPLE"})
_ARRAY_BYTES = 1 << 20


# -- the body's bytecode ----------------------------------------------------------------------
_safe_bodies: dict[tuple, bool] = {}


def _loop_variable(code: types.CodeType, offset: int, int_index: bool) -> str | None:
    """The name the `for` at `offset` binds, when its body is safe to skip (above)."""
    key = (code, offset, int_index)
    if key not in _safe_bodies:
        _safe_bodies[key] = _check_body(code, offset, int_index)
    return _safe_bodies[key]


def _check_body(code: types.CodeType, offset: int, int_index: bool) -> str | None:
    ins = [i for i in dis.get_instructions(code) if i.opname != "CACHE"]
    at = next((k for k, i in enumerate(ins) if i.offset == offset), None)
    if at is None or ins[at].opname != "FOR_ITER" or ins[at + 1].opname != "STORE_FAST":
        return None
    end, var = ins[at].argval, ins[at + 1].argval
    body = [i for i in ins[at + 2:] if i.offset < end]
    for k, i in enumerate(body):
        if "JUMP" in i.opname and not (i.opname == "JUMP_BACKWARD" and i.argval <= offset) \
                and not _inner_loop_jump(body, i) or i.opname in (
                    "RETURN_VALUE", "RAISE_VARARGS", "RERAISE", "YIELD_VALUE", "SEND",
                    "STORE_GLOBAL", "DELETE_FAST", "SETUP_WITH", "BEFORE_WITH", "PUSH_EXC_INFO"):
            return None
        if int_index and i.opname in ("LOAD_FAST", "LOAD_DEREF", "LOAD_CLOSURE") \
                and i.argval == var and not _used_as_index(body, k + 1, var):
            return None
        if i.opname in ("STORE_DEREF", "LOAD_CLOSURE", "STORE_FAST") and i.argval == var:
            return None
    return var


def _inner_loop_jump(body: list, i: Any) -> bool:
    """A nested `for` statement's own jumps (its FOR_ITER, its jump back to it)."""
    if i.opname == "FOR_ITER":
        return True
    return i.opname == "JUMP_BACKWARD" and any(b.opname == "FOR_ITER" and b.offset == i.argval
                                               for b in body)


def _used_as_index(body: list, k: int, var: str) -> bool:
    """After a load of the loop variable: only index arithmetic until a subscript."""
    for i in body[k:]:
        if i.opname in ("BINARY_SUBSCR", "STORE_SUBSCR"):
            return True
        if i.opname in _INDEX_OPS or (i.opname == "LOAD_FAST" and i.argval == var):
            continue
        return False
    return False


# -- the frame's variables ----------------------------------------------------------------------
def _contents(v: Any) -> Any:
    """What Python can see of a variable without copying it; None: unknowable."""
    if isinstance(v, Proxy):
        return ("proxy", v.node)
    if v is None or isinstance(v, (bool, int, float, complex, str, bytes, np.generic, type,
                                   types.ModuleType, types.FunctionType,
                                   types.BuiltinFunctionType, range, loop_marks.TracedRange)):
        return ("value",)
    if isinstance(v, np.ndarray):
        return ("array", v.tobytes()) if v.nbytes <= _ARRAY_BYTES else None
    if isinstance(v, (list, tuple)):
        return ("seq", tuple(_ident(x) for x in v))
    if isinstance(v, dict):
        return ("dict", tuple((k, _ident(x)) for k, x in v.items()))
    attrs = getattr(v, "__dict__", None)
    if isinstance(attrs, dict):
        return ("object", tuple((k, _ident(x)) for k, x in attrs.items()))
    return None


def _ident(x: Any) -> tuple:
    return (id(x), x.node if isinstance(x, Proxy) else None)


def snapshot(frame: Any) -> dict[str, tuple[Any, Any]]:
    return {name: (v, _contents(v)) for name, v in frame.f_locals.items()}


def _changes(before: dict, after: dict, var: str, last: set[Node]) -> tuple | None:
    """({name: node} of the variables the last step set to one of its traced values,
    {name: node} of the lists it appended one of them to); None when something else
    changed (or cannot be compared)."""
    carried, appended = {}, {}
    for name, (v, seen) in after.items():
        old = before.get(name)
        if seen is None:
            return None
        if name == var or old is not None and old[0] is v and old[1] == seen:
            continue
        if isinstance(v, Proxy) and v.node in last:
            carried[name] = v.node
        elif type(v) is list and old is not None and old[0] is v and len(v) and \
                old[1][1] == seen[1][:-1] and isinstance(v[-1], Proxy) and v[-1].node in last:
            appended[name] = v[-1].node
        else:
            return None
    return carried, appended


def _row(out: Node, t: int, shape: tuple) -> Proxy:
    row = prims.slice_axes(out, (t,) + (0,) * (out.ndim - 1), (1,) * out.ndim,
                           (1,) + out.shape[1:])
    return wrap(prims.reshape(row, shape))


def _final(rolled: Any, j: int, count: int, shape: tuple) -> Proxy:
    out, stacked = rolled.outputs[j]
    return _row(out, count - 1, shape) if stacked else wrap(out)


def _set_locals(frame: Any, values: dict[str, Any]) -> None:
    scope = frame.f_locals
    scope.update(values)
    ctypes.pythonapi.PyFrame_LocalsToFast(ctypes.py_object(frame), ctypes.c_int(0))


# -- the decision and the SCAN ------------------------------------------------------------------
def _iterations(marks: LoopMarks, run: Run) -> list[list[Node]]:
    steps: dict[int, dict[Node, None]] = {}
    for node, tag in marks.used[run.start_used:]:
        if tag and tag[0][0] == run.id and node.id >= run.first_id:
            steps.setdefault(tag[0][1], {})[node] = None
    return [list(steps.get(i, {})) for i in range(run.steps)]


def _rows_in_bounds(slots: Any, count: int) -> bool:
    for how in slots.rows.values():
        if how is None or how[0] not in ("slice", "reshape"):
            return False
        source, axis, start, step = how[-5:-1]
        last = start + step * (count - 1)
        if not 0 <= last < source.shape[axis]:
            return False
    return True


def _build(frame: Any, marks: LoopMarks, run: Run, before: dict, var: str,
           left: list, make_item: Any) -> bool:
    """Build the SCAN of the whole loop and leave the frame as the loop would; False (and
    nothing changed) when it is not safe."""
    after = snapshot(frame)
    nodes = _iterations(marks, run)
    its = Iterations(nodes)
    if any(not it for it in its.nodes):
        return False
    changes = _changes(before, after, var, set(its.nodes[-1]))
    if not changes or not any(changes):
        return False
    carried, appended = changes
    try:
        try:
            slots = its.slots(0)
        except Mismatch:
            slots = its.slots(1)
    except Mismatch:
        return False
    count = len(nodes) + len(left) - slots.start
    if slots.stop != len(nodes) or not _rows_in_bounds(slots, count):
        return False
    last = len(nodes) - 1
    where = {n: j for j, n in enumerate(its.nodes[last])}
    needed = {where[n]: {last} for n in carried.values()}
    for n in appended.values():                  # every row: a stacked output
        needed.setdefault(where[n], set()).add(slots.start)
    if any(not _appended_each_step(after[name][0], its, slots, where[n])
           for name, n in appended.items()):
        return False
    token = created_observer.set(None)
    try:
        rolled = build_scan(its, slots, needed, steps=count)
        values = {name: _final(rolled, where[n], count, n.shape) for name, n in carried.items()}
        lists = {name: [_row(rolled.outputs[where[n]][0], t, n.shape) for t in range(count)]
                 for name, n in appended.items()}
        values[var] = make_item(left[-1])
    except (Mismatch, ValueError, TypeError, IndexError, KeyError):
        return False
    finally:
        created_observer.reset(token)
    for name, rows in lists.items():
        target = after[name][0]
        del target[len(target) - (len(nodes) - slots.start):]
        target.extend(rows)
    _set_locals(frame, values)
    kept = set(toposort(list(rolled.scan.inputs)))
    marks.forwarded.append({n for it in its.nodes[slots.start:] for n in it} - kept)
    return True


def _appended_each_step(target: list, its: Iterations, slots: Any, j: int) -> bool:
    """The list's last elements are slot j of each traced step of the SCAN, in order."""
    steps = len(its.nodes) - slots.start
    tail = target[len(target) - steps:] if len(target) >= steps else []
    return len(tail) == steps and all(isinstance(x, Proxy) and x.node is its.nodes[slots.start + i][j]
                                      for i, x in enumerate(tail))


def at_step(it: Any, frame: Any, marks: LoopMarks) -> bool:
    """Called by a marking iterator before each step after the first: True when the loop
    was fast-forwarded (the iterator then ends it)."""
    i = it._i
    if i not in (STEPS - 1, STEPS) or not marks.fast_forward or len(marks.active) != 1:
        return False
    run = marks.active[0]
    if run.key != it._key or run.steps != i:
        return False
    var = _loop_variable(frame.f_code, frame.f_lasti, isinstance(it._last, int))
    if var is None:
        return False
    if i == STEPS - 1:
        it._before = snapshot(frame)
        return False
    left = list(it._indices)
    if len(left) < MIN_LEFT or it._before is None or \
            not _build(frame, marks, run, it._before, var, left, it._item):
        it._indices = iter(left)
        return False
    run.rolled = True
    return True


loop_marks.fast_forward_hook = at_step

__all__ = ["at_step", "STEPS", "MIN_LEFT"]
