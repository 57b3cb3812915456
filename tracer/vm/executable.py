"""The Python side of one call into a compiled graph: check, allocate, call, map errors.

The calling convention of every generated entry function is
`int entry(const int64_t *S, const int64_t *ST, int64_t *E, int nt, void *in0, ...,
void *out0, ...)`: S is the graph's static table (shapes, attributes, constant
pointers), ST the inputs' strides in elements, E four int64 of error detail (one
buffer per thread on the Python paths, on the C stack on pycall's: concurrent
calls never read each other's detail), nt the thread count. The fast path (C-contiguous inputs of exactly the traced
types) is generated Python with everything precomputed: one type/shape/strides
comparison per input, one np.empty per output, one foreign call. `exact()` is
the same call returning None for other inputs, as a C builtin where the backend
provides one (backends/c/pycall.py: 0.5 us for a small function), so a caller's
hot path is one call.

Donation (jax.jit's donate_argnums): `exe.donating(inputs)` is a fast path in which
an output the backend marked as able to take a donated input's buffer (`reuse`,
vm.schedule.reusable_inputs) is written into that input array instead of a fresh
one, when the array is writeable, C-contiguous and shares no memory with any other
input; otherwise the output is allocated as usual.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..ir import Graph

TR_ENOMEM, TR_EINDEX, TR_ENEGPOW, TR_EALIGN = 1, 2, 3, 4
TR_EFALLBACK = 5        # a numpy step raised (backends/c/fallback.py): raise what it kept
_raised = threading.local()


def keep_error(err: BaseException) -> None:
    """What a numpy step inside generated code raised, for this thread's `_fail`."""
    _raised.error = err


# a smaller donated output is allocated anyway: np.empty of a few KiB costs less than
# the checks that would let it reuse the donated array
MIN_REUSE_BYTES = 16384


class CallError(RuntimeError):
    """Generated code reported an error code this module does not know."""


def c_strides(shape: tuple[int, ...], itemsize: int) -> tuple[int, ...]:
    strides, acc = [], itemsize
    for d in reversed(shape):
        strides.append(acc)
        acc *= max(d, 1)
    return tuple(reversed(strides))


def _pointer_call(ffi: Any, ns: dict[str, Any]) -> str:
    """Template turning an array into a pointer argument; ffi.from_buffer's Python-level
    wrapper costs a third of a small call, so call cffi's backend directly when it exists."""
    try:
        raw, char_array = ffi._backend.from_buffer, ffi._typeof("char[]")
        raw(char_array, np.zeros(1), False)
    except (AttributeError, TypeError):
        ns["fb"] = ffi.from_buffer
        return "fb({})"
    ns["fb"], ns["BC"] = raw, char_array
    return "fb(BC, {}, False)"


def _may_take(i: int, n: int) -> str:
    """Python testing that input i (C-contiguous) may become an output: `_free`, with
    the common case written out (x_i owns its memory; each other input owns its own
    or is a view of another owner: b_k is x_k.base)."""
    disjoint = [f"(x{k} is not x{i} if b{k} is None else b{k} is not x{i} and "
                f"type(b{k}) is ndarray and b{k}.base is None)" for k in range(n) if k != i]
    others = "".join(f"x{k}, " for k in range(n) if k != i)
    return (f"x{i}.flags.writeable and (b{i} is None and {' and '.join(disjoint) or 'True'} "
            f"or free(x{i}, ({others})))")


def _free(x: np.ndarray, others: tuple) -> bool:
    """May the generated code overwrite x (C-contiguous: checked by the caller; a
    misaligned x is refused by the entry, and the slow path then allocates) while
    reading `others`? Arrays owning their memory are disjoint, and so is a view of
    another owner; anything else is asked of numpy (a bounds check)."""
    if not x.flags.writeable:
        return False
    if x.base is not None:
        return not any(np.may_share_memory(x, y) for y in others)
    for y in others:
        base = y.base
        if base is None:
            if y is x:
                return False
        elif base is x or type(base) is not np.ndarray or base.base is not None:
            if base is x or np.may_share_memory(x, y):
                return False
    return True


def _as_array(x: Any) -> Any:
    """A scalar argument of the C call as the 0-d array the slow path takes."""
    return x if isinstance(x, np.ndarray) else np.asarray(x)


class NativeExecutable:
    """Callable as `exe(list_of_arrays) -> list_of_fresh_arrays` over a foreign entry."""

    def __init__(self, graph: Graph, source: str, ffi: Any, entry: Callable[..., int],
                 table: np.ndarray, threads: list[int], keep_alive: Sequence[Any] = (),
                 reuse: dict[int, int] | None = None, native_call: Any = None):
        self.graph = graph
        self.source = source
        self._ffi = ffi
        self._entry = entry
        self._table = table
        self._keep = tuple(keep_alive)
        self._threads = threads
        self._in_types = [p.type for p in graph.inputs]
        self._names = [p.attrs["name"] or f"#{i}" for i, p in enumerate(graph.inputs)]
        self._out_types = [o.type for o in graph.outputs]
        self._S = ffi.from_buffer("int64_t[]", table)
        self._err_type = ffi.typeof("int64_t[4]")
        self._local = threading.local()     # .E: this thread's error detail buffer
        self._st_offsets = []
        offset = 0
        for t in self._in_types:
            self._st_offsets.append(offset)
            offset += t.ndim
        contiguous = [s // t.dtype.itemsize for t in self._in_types
                      for s in c_strides(t.shape, t.dtype.itemsize)]
        self._st_contig = np.array(contiguous + [0], np.int64)
        self._ST = ffi.from_buffer("int64_t[]", self._st_contig)
        self.reuse = dict(reuse or {})
        # makes the C version of `exact` (backends/c/pycall.py: native_call, its first
        # arguments bound), or None
        self._native_call = native_call
        self._fast = self._make_fast_path({})
        self._donating: dict[frozenset[int], Callable[[Sequence[Any]], list[np.ndarray]]] = {}

    def __call__(self, inputs: Sequence[Any]) -> list[np.ndarray]:
        return self._fast(inputs)

    def donating(self, donated: frozenset[int]) -> Callable[[Sequence[Any]], list[np.ndarray]]:
        """The call for inputs `donated` (indices) whose buffers outputs may take."""
        reuse = self._reuse_for(donated)
        if not reuse:
            return self._fast
        key = frozenset(reuse.values())
        if key not in self._donating:
            self._donating[key] = self._make_fast_path(reuse)
        return self._donating[key]

    def exact(self, donated: frozenset[int], finish: Callable[[list], Any] | None,
              weak: Sequence[bool] = ()) -> Callable:
        """`call(inputs)` for exactly the traced types, that returns None for any other
        inputs instead of converting them, and `finish(outputs)` (None: the only output)
        otherwise: a caller's whole fast path in one function. As a C builtin (pycall.py)
        it takes arrays of any strides, numpy scalars for 0-d inputs and, for inputs
        `weak` marks, Python scalars; the generated Python one contiguous ndarrays."""
        reuse = self._reuse_for(donated)
        if self._native_call is not None and not reuse:
            def fail(rc: int, inputs: tuple, detail: tuple) -> Any:
                outs = self._fail(rc, detail, [_as_array(x) for x in inputs])
                if finish is not None:
                    return finish(outs)
                return outs[0] if len(outs) == 1 else outs
            return self._native_call(self._table, self._in_types, self._out_types,
                                     self._threads, finish, fail, self._keep, weak)
        return self._make_fast_path(reuse, exact=True, finish=finish)

    def _new_err(self) -> Any:
        """This thread's error detail buffer (made on its first call)."""
        err = self._local.E = self._ffi.new(self._err_type)
        return err

    def _reuse_for(self, donated: frozenset[int]) -> dict[int, int]:
        return {j: i for j, i in self.reuse.items() if i in donated
                and self._out_types[j].size * self._out_types[j].dtype.itemsize >= MIN_REUSE_BYTES}

    def _make_fast_path(self, reuse: dict[int, int], exact: bool = False,
                        finish: Callable[[list], Any] | None = None) -> Callable:
        """Generated Python for the common call: contiguous inputs of the traced types;
        output j is input reuse[j] when that input may be written (see `_free`). Other
        inputs go to the slow path, or (exact) get None."""
        ns: dict[str, Any] = {"ndarray": np.ndarray, "empty": np.empty,
                              "entry": self._entry, "free": _free,
                              "S": self._S, "ST": self._ST, "TL": self._local,
                              "new_err": self._new_err, "T": self._threads,
                              "slow": self._slow, "fail": self._fail, "finish": finish}
        pointer = _pointer_call(self._ffi, ns)
        n = len(self._in_types)
        xs = [f"x{i}" for i in range(n)]
        checks = []
        for i, t in enumerate(self._in_types):
            ns[f"D{i}"], ns[f"SH{i}"] = t.dtype, t.shape
            ns[f"CS{i}"] = c_strides(t.shape, t.dtype.itemsize)
            checks.append(f"type(x{i}) is not ndarray or x{i}.dtype is not D{i} or "
                          f"x{i}.shape != SH{i} or x{i}.strides != CS{i}")
        outs = []
        for j, t in enumerate(self._out_types):
            ns[f"OD{j}"], ns[f"OSH{j}"] = t.dtype, t.shape
            outs.append(f"o{j}")
        miss = "        return None" if exact else "        return slow(inputs)"
        lines = ["def call(inputs):", f"    if len(inputs) != {n}:", miss]
        if n:
            lines.append(f"    {', '.join(xs)}, = inputs")
            lines.append("    if " + " or ".join(f"({c})" for c in checks) + ":")
            lines.append(miss)
        if reuse:
            lines.append(f"    {', '.join(f'b{i}' for i in range(n))}, = "
                         f"{', '.join(f'x{i}.base' for i in range(n))},")
        for j in range(len(outs)):
            if j in reuse:
                lines.append(f"    o{j} = x{reuse[j]} if {_may_take(reuse[j], n)} else empty(OSH{j}, OD{j})")
            else:
                lines.append(f"    o{j} = empty(OSH{j}, OD{j})")
        args = ", ".join(["S", "ST", "E", "T[0]"] + [pointer.format(f"x{i}") for i in range(n)]
                         + [pointer.format(f"o{j}") for j in range(len(outs))])
        # a misaligned input (rare: views into byte buffers) is refused by the entry
        # before any work; the slow path then copies it
        result, failed = f"[{', '.join(outs)}]", "fail(rc, E, inputs)"
        if exact and finish is not None:
            result, failed = f"finish({result})", f"finish({failed})"
        elif exact and len(outs) == 1:      # as the C call: the only output itself
            result, failed = outs[0], f"{failed}[0]"
        lines += ["    try:", "        E = TL.E", "    except AttributeError:",
                  "        E = new_err()",
                  f"    rc = entry({args})", "    if rc:", f"        return {failed}",
                  f"    return {result}"]
        exec(compile("\n".join(lines) + "\n", "<tracer call>", "exec"), ns)
        return ns["call"]

    def _check(self, i: int, value: Any) -> np.ndarray:
        """Input i as an aligned native-order array of the traced type, or a clear error."""
        want = self._in_types[i]
        name = self._names[i]
        arr = value if isinstance(value, np.ndarray) else np.asarray(value)
        if arr.dtype != want.dtype:
            if arr.dtype.newbyteorder("=") == want.dtype:
                arr = arr.astype(want.dtype)
            else:
                raise TypeError(f"argument {name}: expected dtype {want.dtype}, got {arr.dtype}")
        if arr.ndim != want.ndim:
            raise ValueError(f"argument {name}: expected {want.ndim} dimensions "
                             f"(shape {want.shape}), got shape {arr.shape}")
        if arr.shape != want.shape:
            raise ValueError(f"argument {name}: expected shape {want.shape}, got {arr.shape}")
        size = arr.dtype.itemsize
        address = arr.__array_interface__["data"][0]
        if not arr.flags.aligned or address % size or any(s % size for s in arr.strides):
            arr = np.array(arr, order="C", copy=True)      # a fresh, aligned copy
        return arr

    def _slow(self, inputs: Sequence[Any]) -> list[np.ndarray]:
        """Any strides (negative, zero, transposed), byte-swapped or misaligned inputs."""
        if len(inputs) != len(self._in_types):
            raise TypeError(f"compiled graph takes {len(self._in_types)} inputs, "
                            f"got {len(inputs)}")
        arrays = [self._check(i, x) for i, x in enumerate(inputs)]
        strides = [s // a.dtype.itemsize for a in arrays for s in a.strides]
        st = np.array(strides + [0], np.int64)
        ffi = self._ffi
        ptrs = [ffi.cast("void *", a.__array_interface__["data"][0]) for a in arrays]
        outs = [np.empty(t.shape, t.dtype) for t in self._out_types]
        err = ffi.new(self._err_type)
        rc = self._entry(self._S, ffi.from_buffer("int64_t[]", st), err, self._threads[0],
                         *ptrs, *[ffi.from_buffer(o) for o in outs])
        if rc:
            self._fail(rc, err)
        return outs

    def _fail(self, rc: int, err: Sequence[int],
              inputs: Sequence[Any] | None = None) -> list[np.ndarray]:
        """Raise numpy's error for the entry's code `rc`, with this call's detail `err`."""
        if rc == TR_EALIGN and inputs is not None:
            return self._slow(inputs)
        if rc == TR_EFALLBACK:
            err, _raised.error = getattr(_raised, "error", None), None
            if err is not None:
                raise err
        if rc == TR_ENOMEM:
            raise MemoryError("tracer: out of memory allocating an intermediate array")
        if rc == TR_EINDEX:
            raise IndexError(f"index {err[1]} is out of bounds for axis {err[2]} "
                             f"with size {err[3]}")
        if rc == TR_ENEGPOW:
            raise ValueError("Integers to negative integer powers are not allowed.")
        raise CallError(f"generated code failed with error code {rc}")
