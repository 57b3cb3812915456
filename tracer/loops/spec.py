"""What a SCAN node means: its body graph and how the loop feeds it.

A SCAN runs `body` once per step, `n_steps` times. Its inputs are

    [*inits, *sequences, *non_sequences]

* state i has taps (negative offsets, e.g. (-2, -1)); its init holds the
  L = max(-tap) values before the first step, oldest first: shape (L, *s);
* a sequence has `n_steps` rows; step t reads row t;
* a non-sequence is read whole at every step.

The body graph's inputs are, in order, one value per (state, tap) — state i at
step t - k for tap -k —, one row per sequence, and the non-sequences. Its outputs
are the new value of each state, the step's other outputs, and, for a loop with a
stop condition (`until`), a bool scalar: the loop stops after the first step whose
condition is true.

The SCAN node is a tuple (type ir.types.TOKEN); SCAN_OUT {index} reads one value:
for each state, then each step output, the values of every step stacked (shape
(n_steps, *s)) or, where `keep` says so, only the last one; with `until`, one more
value: the number of steps run (int64). Steps after a stop repeat the last values.

`reverse` runs the steps for t = n_steps - 1 down to 0: sequences are read, and
stacked values written, at row t; taps still count steps in the order they run.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..ir import Graph, Node, Op, TensorType
from ..ir.types import TOKEN
from ..trace import prims

INT64 = np.dtype(np.int64)


@dataclass(frozen=True)
class ScanSpec:
    body: Graph
    taps: tuple[tuple[int, ...], ...]     # per state, negative, ascending
    n_seqs: int
    n_steps: int
    reverse: bool = False
    until: bool = False
    keep: tuple[bool, ...] = ()           # per state and step output: stack every step
    truncate: int = -1                    # backpropagate through this many last steps

    # -- layout ------------------------------------------------------------------------
    @property
    def n_states(self) -> int:
        return len(self.taps)

    @property
    def n_outs(self) -> int:
        return len(self.body.outputs) - self.n_states - int(self.until)

    @property
    def n_taps(self) -> int:
        return sum(len(t) for t in self.taps)

    def window(self, i: int) -> int:
        """How many past values state i keeps (its init's rows)."""
        return -min(self.taps[i])

    def n_inputs(self) -> int:
        """How many inputs the SCAN node takes: inits, sequences, non-sequences."""
        return self.n_states + len(self.body.inputs) - self.n_taps

    def state_type(self, i: int) -> TensorType:
        return self.body.outputs[i].type

    def output_types(self) -> list[TensorType]:
        """The type of each SCAN_OUT index."""
        out = []
        for k, node in enumerate(self.body.outputs[:self.n_states + self.n_outs]):
            t = node.type
            out.append(TensorType(t.dtype, (self.n_steps,) + t.shape) if self.keep[k] else t)
        if self.until:
            out.append(TensorType(INT64, ()))
        return out

    def __str__(self) -> str:
        parts = [f"steps={self.n_steps if self.n_steps >= 0 else 'until'}", f"taps={list(map(list, self.taps))}",
                 f"seqs={self.n_seqs}"]
        parts += ["reverse"] * self.reverse + ["until"] * self.until
        if not all(self.keep):
            parts.append("last=" + ",".join(str(k) for k, kept in enumerate(self.keep)
                                             if not kept))
        return " ".join(parts)

    __repr__ = __str__

    # -- checks ------------------------------------------------------------------------
    def check(self, ins) -> str:
        """'' when inputs of types `ins` fit this body, else what is wrong."""
        body_in = [p.type for p in self.body.inputs]
        if len(self.keep) != self.n_states + self.n_outs or self.n_outs < 0:
            return "keep needs one flag per state and step output"
        if len(ins) != self.n_inputs():
            return f"takes {self.n_inputs()} inputs, got {len(ins)}"
        k = 0
        for i, taps in enumerate(self.taps):
            s = self.state_type(i)
            if not taps or list(taps) != sorted(set(taps)) or taps[-1] >= 0:
                return f"state {i}: taps {taps} must be distinct negative offsets, ascending"
            want = TensorType(s.dtype, (self.window(i),) + s.shape)
            if ins[i] != want:
                return f"state {i}: init must be {want}, got {ins[i]}"
            if any(t != s for t in body_in[k:k + len(taps)]):
                return f"state {i}: body reads {body_in[k:k + len(taps)]} for a state of {s}"
            k += len(taps)
        for j in range(self.n_seqs):
            seq = ins[self.n_states + j]
            if seq.ndim == 0 or seq.shape[0] != self.n_steps or \
                    TensorType(seq.dtype, seq.shape[1:]) != body_in[k + j]:
                return f"sequence {j}: {seq} does not give {self.n_steps} rows of {body_in[k + j]}"
        for j, t in enumerate(ins[self.n_states + self.n_seqs:]):
            if t != body_in[k + self.n_seqs + j]:
                return f"non-sequence {j}: {t}, the body reads {body_in[k + self.n_seqs + j]}"
        if self.until and self.body.outputs[-1].type != TensorType(np.dtype(bool), ()):
            return "the stop condition must be a bool scalar"
        if self.n_steps < 0 and (not self.until or any(self.keep)):
            return "an unbounded loop (n_steps -1) needs a stop condition and keeps no stacks"
        return ""


def scan_outputs(spec: ScanSpec, inputs: list[Node]) -> list[Node]:
    """The SCAN node of `spec` on `inputs`, as one SCAN_OUT node per output."""
    scan = prims.bind(Op.SCAN, inputs, spec=spec)
    return [prims.bind(Op.SCAN_OUT, [scan], index=k, type=t)
            for k, t in enumerate(spec.output_types())]


__all__ = ["ScanSpec", "scan_outputs", "TOKEN"]
