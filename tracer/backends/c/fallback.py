"""A numpy step inside compiled code: ops with a reference implementation and no C kernel.

Theano's VM ran an op that had only a Python `perform` between its C thunks; this is
the same for the C backend. An op in ir.ops.NUMPY_FALLBACK renders as one call in the
entry function:

    rc = ((int (*)(int64_t, intptr_t *, const int64_t *const *, intptr_t))
          (intptr_t)S[k])(S[k + 1], (intptr_t[]){v1, v2}, (const int64_t *const[]){v1_s, v2_s}, v3);

S[k] is the address of a C callback made with cffi for this rendered module (kept
alive by the executable), S[k + 1] the step's number in its list of steps: the source
holds only table offsets, so two graphs of one structure still share their compiled
module. The callback takes the GIL (cffi does so for a thread that lacks it; the
entry runs without it) only for that step: it wraps the inputs' memory as numpy
arrays (shapes from the graph, strides in elements from the call), calls
`IMPLS[op](attrs, *arrays)` (backends/python/impls.py) and copies the result into the
step's C-contiguous output buffer. Everything before and after stays in C.

An exception (numpy's LinAlgError, ...) is kept for this thread with the user's line
added (vm.executable.keep_error) and the callback returns TR_EFALLBACK: the entry stops
at the step, frees its buffers, returns the code, and the executable raises the kept
exception, of numpy's own type.

To run another op this way: give it an IMPLS entry returning exactly the node's dtype
and shape, and add it to ir.ops.NUMPY_FALLBACK. Nothing else: its step is rendered
here, `.as_text()` marks it `# numpy fallback`, and tests/backends/c/test_module.py
counts it as covered. The cost is a GIL round trip and the wrapping, ~6 us a step
(tests/backends/c/test_fallback.py measures it), plus whatever numpy spends.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import cffi
import numpy as np

from ...ir import Node
from ...trace.errors import with_line
from ...vm.executable import TR_EFALLBACK, keep_error
from ..python.impls import IMPLS

_ffi = cffi.FFI()
_SIGNATURE = "int(int64_t, intptr_t *, const int64_t *const *, intptr_t)"
_CAST = "(int (*)(int64_t, intptr_t *, const int64_t *const *, intptr_t))"


class _Memory:
    """An object numpy wraps without copying: `np.asarray(_Memory(...))`."""

    __slots__ = ("__array_interface__",)

    def __init__(self, interface: dict[str, Any]):
        self.__array_interface__ = interface


class _Step:
    """One numpy step: its implementation with the attributes bound, and how to view
    its operands' memory (everything but the addresses and strides known here)."""

    def __init__(self, node: Node):
        self.node = node
        self.fn = functools.partial(IMPLS[node.op], node.attrs)
        self.inputs = [(x.shape, x.dtype, x.dtype.str, x.dtype.itemsize, range(x.ndim),
                        x.type.size == 0) for x in node.inputs]
        self.out_strides = tuple(s * node.dtype.itemsize for s in _contiguous(node.shape))

    def run(self, ins: Any, strides: Any, out: int) -> None:
        arrays = []
        for k, (shape, dtype, typestr, size, axes, empty) in enumerate(self.inputs):
            if empty:
                arrays.append(np.empty(shape, dtype))
                continue
            st = strides[k]
            arrays.append(np.asarray(_Memory({
                "version": 3, "shape": shape, "typestr": typestr, "data": (ins[k], True),
                "strides": tuple(st[d] * size for d in axes)})))
        node = self.node
        with np.errstate(all="ignore"):
            result = np.asarray(self.fn(*arrays))
        if result.shape != node.shape or result.dtype != node.dtype:
            raise TypeError(f"tracer: the numpy implementation of {node.op.value} gave "
                            f"{result.dtype}{list(result.shape)}, not {node.type}")
        if result.size:
            np.asarray(_Memory({"version": 3, "shape": node.shape, "typestr": node.dtype.str,
                                "data": (out, False), "strides": self.out_strides}))[...] = result


@dataclass
class Steps:
    """The numpy steps of one rendered module and the one callback that runs them."""

    steps: list[_Step] = field(default_factory=list)
    callback: Any = None

    def call(self, r: Any, node: Node) -> str:
        """The C statements running `node` through numpy (r: the ModuleRenderer)."""
        if self.callback is None:
            self.callback = _ffi.callback(_SIGNATURE, self._run)
        address = int(_ffi.cast("uintptr_t", self.callback))
        k = r.table.add([address, len(self.steps)])
        self.steps.append(_Step(node))
        ins = ", ".join(f"(intptr_t){r.v(i)}" for i in node.inputs)
        strides = ", ".join(f"{r.v(i)}_s" for i in node.inputs)
        return (f"    /* {node.op.value}: a numpy step (backends/c/fallback.py) */\n"
                f"    rc = ({_CAST}(intptr_t)S[{k}])(S[{k + 1}], (intptr_t[]){{{ins}}}, "
                f"(const int64_t *const[]){{{strides}}}, (intptr_t){r.v(node)});\n"
                "    if (rc) goto done;")

    def _run(self, index: int, ins: Any, strides: Any, out: int) -> int:
        step = self.steps[index]
        try:
            step.run(ins, strides, out)
        except BaseException as err:   # noqa: BLE001 -- re-raised by the executable
            keep_error(with_line(err, step.node.loc))
            return TR_EFALLBACK
        return 0


def _contiguous(shape: tuple[int, ...]) -> list[int]:
    strides, acc = [], 1
    for d in reversed(shape):
        strides.append(acc)
        acc *= max(d, 1)
    return strides[::-1]
