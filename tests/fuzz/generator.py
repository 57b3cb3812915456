"""Seeded random programs: ordinary numpy functions of 3-12 lines over random inputs.

`generate(seed)` is deterministic: the same seed gives the same source text and the same
argument arrays, so every failure is reproduced by its seed alone
(`python -m tests.fuzz.runner --seed N`). Each line is evaluated with numpy while the
program is built: numpy's values decide the next line's valid axes and shapes, and how
exactly each value must match (optable.py). A line numpy rejects is usually discarded and
drawn again; now and then it is kept as the program's last line, so that numpy's error is
what tracer must raise too.
"""
from __future__ import annotations

import ast
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .optable import APPROX, EXACT, TABLE, Step, Value, result_taint
from .values import DTYPES, LAYOUTS, laid_out, literal, python_scalar, random_shapes, random_values

MAX_SIZE = 4096          # elements in any intermediate value
KEEP_ERROR = 0.12        # chance that a line numpy rejects becomes the program's end


@dataclass
class Program:
    seed: int
    source: str
    args: list[Any]
    arg_names: list[str]
    # per returned value: its taint (EXACT/APPROX/LOOSE) and magnitude scale
    out_taints: list[int] = field(default_factory=list)
    out_mags: list[float] = field(default_factory=list)
    ops: list[str] = field(default_factory=list)     # the table entries used
    raises: bool = False                               # ends in a line numpy rejects
    fixed: bool = False                                # a corpus case: no other values

    def other_args(self, variant: int = 0) -> list[Any] | None:
        """New values of the same types and shapes (C-contiguous), for a call that reuses
        the compiled code; Python scalars keep their type. None for a corpus case."""
        if self.fixed:
            return None
        rng = np.random.default_rng([self.seed, 7_000_003, variant])
        out: list[Any] = []
        for a in self.args:
            if isinstance(a, np.ndarray):
                out.append(random_values(rng, a.dtype.name, a.shape))
            elif isinstance(a, bool):
                out.append(not a)
            elif isinstance(a, int):
                out.append(int(np.clip(a + int(rng.integers(-2, 3)), -(2**63), 2**63 - 1)))
            else:
                out.append(float(rng.standard_normal() * 3))
        return out

    def function(self) -> Any:
        namespace: dict[str, Any] = {"np": np}
        exec(compile(self.source, f"<fuzz program {self.seed}>", "exec"), namespace)
        return namespace["program"]



def arg_names(source: str) -> list[str]:
    fn = ast.parse(source).body[0]
    assert isinstance(fn, ast.FunctionDef)
    return [a.arg for a in fn.args.args]


def from_case(case: dict[str, Any]) -> Program:
    """A corpus case as a program: its values are compared exactly unless it says
    "approx": true."""
    env = {"np": np, "nan": np.nan, "inf": np.inf, "layout": layout}
    args = [eval(text, env) for text in case["args"]]
    taint = APPROX if case.get("approx") else EXACT
    names = arg_names(case["source"])
    return Program(-1, case["source"], args, names, [taint] * 16, [1.0] * 16, fixed=True)


def layout(arr: np.ndarray, how: str) -> np.ndarray:
    """`arr`'s values laid out as `how` (values.LAYOUTS), for corpus cases."""
    return laid_out(np.random.default_rng(0), arr, how)


def _layout_of(a: np.ndarray) -> str:
    if a.ndim == 0 or a.flags.c_contiguous and a.flags.owndata:
        return "C"
    if a.strides and 0 in a.strides and a.size:
        return "bcast"
    if a.flags.f_contiguous and a.flags.owndata:
        return "F"
    if a.base is not None and any(s < 0 for s in a.strides):
        return "neg"
    if a.base is not None and a.base.flags.f_contiguous and not a.base.flags.c_contiguous:
        return "T"
    return "step"


def as_case(program: Program, note: str) -> dict[str, Any]:
    """A generated program as a corpus case (source and argument expressions)."""
    args = []
    for a in program.args:
        if isinstance(a, np.ndarray):
            text = f"np.array({a.tolist()!r}, np.{a.dtype.name})"
            how = _layout_of(a)
            args.append(text if how == "C" else f"layout({text}, {how!r})")
        else:
            args.append(literal(a))
    return {"name": note, "source": program.source, "args": args, "expect": "agree",
            "approx": any(t != EXACT for t in program.out_taints)}


def _mag(a: Any) -> float:
    arr = np.asarray(a)
    if arr.dtype.kind not in "fiu" or arr.size == 0:
        return 1.0
    with np.errstate(all="ignore"):
        finite = np.abs(arr[np.isfinite(arr)].astype(np.float64))
    return float(finite.max()) if finite.size else 1.0


class Builder:
    """The state while one program is drawn: the pool of values and the source lines."""

    def __init__(self, seed: int):
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.pool: list[Value] = []
        self.lines: list[str] = []
        self.env: dict[str, Any] = {"np": np}
        self.scalar: Value | None = None
        self.index: Value | None = None
        self.next_name = "v0"
        self.ops: list[str] = []

    # helpers the table's entries use
    def choice(self, items: list[Any]) -> Any:
        return items[int(self.rng.integers(len(items)))]

    def fresh(self) -> str:
        return self.next_name

    def partner(self, x: Value, same_rank: bool = False) -> Value:
        """A value to combine with x: most often one whose shape broadcasts with x's."""
        fits = []
        for v in self.pool:
            if v is x and len(self.pool) > 1 and self.rng.random() < 0.5:
                continue
            try:
                np.broadcast_shapes(np.shape(x.array), np.shape(v.array))
            except ValueError:
                continue
            if same_rank and np.ndim(v.array) != np.ndim(x.array):
                continue
            fits.append(v)
        if fits and self.rng.random() < 0.9:
            return self.choice(fits)
        return self.choice(self.pool)

    def pick(self) -> Value:
        """An operand, biased to recent values so programs are chains, not fans."""
        n = len(self.pool)
        k = n - 1 - min(int(self.rng.geometric(0.45)) - 1, n - 1)
        return self.pool[k]

    # building
    def add_inputs(self) -> tuple[list[Any], list[str]]:
        count = int(self.rng.integers(1, 4))
        args, names = [], []
        for i, shape in enumerate(random_shapes(self.rng, count)):
            dtype = self.choice(list(DTYPES))
            arr = laid_out(self.rng, random_values(self.rng, dtype, shape),
                           self.choice(list(LAYOUTS)))
            name = f"a{i}"
            args.append(arr)
            names.append(name)
            self.pool.append(Value(name, arr, EXACT, _mag(arr)))
            self.env[name] = arr
        if self.rng.random() < 0.3:
            value = python_scalar(self.rng)
            if type(value) is int and not -(2**63) <= value < 2**63 and self.rng.random() < 0.8:
                value = int(self.rng.integers(-5, 6))   # mostly: beyond int64 is documented
            self.scalar = Value("s", value, EXACT, _mag(value))
            args.append(value)
            names.append("s")
            self.env["s"] = value
        if self.rng.random() < 0.25:
            n = max((np.shape(v.array)[0] for v in self.pool if np.ndim(v.array)), default=1)
            value = int(self.rng.integers(-n - 1, n + 1))
            self.index = Value("i", value, EXACT)
            args.append(value)
            names.append("i")
            self.env["i"] = value
        return args, names

    def try_step(self, keep_error: bool) -> bool | None:
        """Draw and evaluate one line: True added, None numpy rejected it and it was kept
        as the last line, False nothing added."""
        weights = np.array([w for w, _, _ in TABLE])
        _, kind, make = TABLE[int(self.rng.choice(len(TABLE), p=weights / weights.sum()))]
        x = self.pick()
        step: Step | None = make(self, x)
        if step is None:
            return False
        name = self.next_name
        statements = [f"{name} = {step.text}", *step.after]
        env = dict(self.env)
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                for s in statements:
                    exec(s, env)
            result = env[name]
        except Exception:
            if not keep_error:
                return False
            self.lines += statements
            self.ops.append(kind)
            return None
        if not isinstance(result, (np.ndarray, np.generic)) or np.size(result) > MAX_SIZE \
                or np.asarray(result).dtype.kind not in "biuf":
            return False
        self.env = env
        self.lines += statements
        self.ops.append(kind)
        reads = step.reads
        mag = max([_mag(result)] + [v.mag for v in reads])
        self.pool.append(Value(name, result, result_taint(step, result), mag))
        self.next_name = f"v{int(name[1:]) + 1}"
        return True


def generate(seed: int, min_ops: int = 3, max_ops: int = 12) -> Program:
    b = Builder(seed)
    args, names = b.add_inputs()
    n_inputs = len(b.pool)
    target = int(b.rng.integers(min_ops, max_ops + 1))
    added, raises = 0, False
    for _ in range(target * 6):
        if added >= target:
            break
        keep_error = b.rng.random() < KEEP_ERROR and added >= 1
        outcome = b.try_step(keep_error)
        if outcome is None:
            raises = True
            break
        added += bool(outcome)
    computed = b.pool[n_inputs:]
    if raises:
        returned = [b.next_name]
        taints, mags = [EXACT], [1.0]
    else:
        outs = computed[-1:] or b.pool[:1]
        extra = [v for v in computed[:-1] if b.rng.random() < 0.25][:2]
        outs = extra + outs
        returned = [v.name for v in outs]
        taints, mags = [v.taint for v in outs], [v.mag for v in outs]
    body = "\n".join(f"    {line}" for line in b.lines) or "    pass"
    ret = returned[0] if len(returned) == 1 else f"({', '.join(returned)})"
    source = f"def program({', '.join(names)}):\n{body}\n    return {ret}\n"
    return Program(seed, source, args, names, taints, mags, b.ops, raises)
