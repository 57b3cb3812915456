"""A SCAN step in C: the loop runs in the generated code, its body a C function.

The body graph is rendered by a child renderer into the same module (one static
table, shared kernels) as `static int tr_body<k>(...)`, with the entry's calling
convention. The scan's values live in one block the schedule owns; each SCAN_OUT
is a view at its offset, so the block is freed after the last reader of any of
them. At step s (row t = s, or T-1-s going backwards) the loop passes the body
pointers, with no copies:

* state i's tap -k: the state k steps before, which is a row of its stacked
  output (a kept state), a row of a ring of L+1 values (a state kept last-only),
  or, before the first step, a row of a contiguous copy of its init;
* sequence rows at row t, non-sequences whole (strides fixed for the loop);
* outputs straight into their place: the stacked row t, the ring, or (a step
  output kept last-only) the output itself, overwritten each step; the stop
  condition into a local flag.

After a stop, the remaining stacked rows repeat the last ones; a last-only state
is copied out of its ring. Nothing runs per step but the body call itself.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ...ir import Node
from .cnames import ctype

ALIGN = 64


def _layout(node: Node) -> tuple[list[int], int]:
    """Byte offsets of each output in the scan's block, and the block's size."""
    offsets, total = [], 0
    for t in node.attrs["spec"].output_types():
        offsets.append(total)
        total += -(-t.size * t.dtype.itemsize // ALIGN) * ALIGN
    return offsets, total


def output_view(r: Any, node: Node) -> str:
    """A SCAN_OUT: its scan's block at the output's offset."""
    scan = node.inputs[0]
    offsets, _ = _layout(scan)
    off = r.table.add([offsets[node.attrs["index"]]])
    v = r.v(node)
    return (f"    {v} = ({ctype(node.dtype)} *)((char *){r.v(scan)} + S[{off}]); "
            f"tr_contig({node.ndim}, {v}_n, {v}_s);")


def _body_function(r: Any, node: Node) -> str:
    # the name takes a slot of its own first: the bodies of loops nested in this body
    # are rendered (and appended, so defined before it) while its text is made
    slot = len(r.functions)
    r.functions.append("")
    name = f"tr_body{slot}"
    child = type(r)(node.attrs["spec"].body, parent=r)
    r.functions.append(child.function_text(name, exported=False))
    return name


class _Loop:
    """Names and table entries of one scan's C block."""

    def __init__(self, r: Any, node: Node):
        self.r, self.node, self.spec = r, node, node.attrs["spec"]
        spec = self.spec
        self.v = r.v(node)
        self.ins = [r.v(i) for i in node.inputs]
        self.body = _body_function(r, node)
        offsets, total = _layout(node)
        self.block = r.table.add([total])
        self.offsets = r.table.add(offsets)
        types = spec.output_types()
        self.row = {k: r.table.add([int(np.prod(t.shape[1:] if spec.keep[k] else t.shape,
                                                dtype=np.int64)) * t.dtype.itemsize])
                    for k, t in enumerate(types[:spec.n_states + spec.n_outs])}
        self.steps = r.table.add([spec.n_steps])
        self.windows = r.table.add([spec.window(i) for i in range(spec.n_states)] or [0])

    def out(self, k: int) -> str:
        return f"so[{k}]"

    def rowbytes(self, k: int) -> str:
        return f"S[{self.row[k]}]"


def scan_step(r: Any, node: Node) -> str:
    """The C block of one SCAN node: allocate, prepare, loop, finish."""
    lp = _Loop(r, node)
    spec, v = lp.spec, lp.v
    k = r.local[node]
    n_s, n_o = spec.n_states, spec.n_outs
    lines = [f"    b{k} = tr_alloc(S[{lp.block}]); if (!b{k}) {{ rc = TR_ENOMEM; goto done; }}",
             f"    {v} = (uint8_t *)b{k};",
             "    {",
             f"        char *so[{n_s + n_o + spec.until + 1}];",
             f"        int64_t T_ = S[{lp.steps}], s_ = 0;",
             "        unsigned char stop_ = 0;"]
    lines += [f"        so[{j}] = (char *){v} + S[{lp.offsets + j}];"
              for j in range(n_s + n_o + spec.until)]
    lines += _prepare(lp)
    lines += _strides(lp)
    lines += _loop(lp)
    lines += _finish(lp)
    lines.append("    }")
    return "\n".join(lines)


def _prepare(lp: _Loop) -> list[str]:
    """Contiguous copies of the inits, rings for last-only states, zeroed last-only outputs."""
    spec, lines = lp.spec, []
    n_s = spec.n_states
    lines += [f"        char *pre{i} = 0, *ring{i} = 0;" for i in range(n_s)]
    for i in range(n_s):
        init, x = lp.ins[i], lp.node.inputs[i]
        row = lp.rowbytes(i)
        lines.append(f"        pre{i} = (char *)tr_alloc({init}_n[0] * {row});")
        if not spec.keep[i]:
            lines.append(f"        ring{i} = (char *)tr_alloc(({init}_n[0] + 1) * {row});")
        lines += [f"        if (!pre{i}{'' if spec.keep[i] else f' || !ring{i}'}) "
                  f"{{ rc = TR_ENOMEM; goto scan_end{lp.v}; }}",
                  f"        tr_contig({x.ndim}, {init}_n, cs);",
                  f"        tr_copy({x.ndim}, {init}_n, pre{i}, cs, (const char *){init}, "
                  f"{init}_s, {x.dtype.itemsize});"]
    for j in range(spec.n_outs):
        k = n_s + j
        if not spec.keep[k]:
            lines.append(f"        memset(so[{k}], 0, (size_t){lp.rowbytes(k)});")
    return lines


def _strides(lp: _Loop) -> list[str]:
    """The body's input strides (in elements), fixed for the whole loop."""
    spec, node, r = lp.spec, lp.node, lp.r
    body_in = spec.body.inputs
    total = sum(max(p.ndim, 0) for p in body_in)
    lines = [f"        int64_t bst[{max(total, 1)}];"]
    pos, q = 0, 0
    for _ in range(spec.n_taps):
        p = body_in[q]
        shape = r.table.add(p.shape)
        lines.append(f"        tr_contig({p.ndim}, S + {shape}, bst + {pos});")
        pos, q = pos + p.ndim, q + 1
    for j in range(spec.n_seqs):
        seq = lp.ins[spec.n_states + j]
        ndim = body_in[q].ndim
        lines += [f"        bst[{pos + d}] = {seq}_s[{d + 1}];" for d in range(ndim)]
        pos, q = pos + ndim, q + 1
    for j, x in enumerate(node.inputs[spec.n_states + spec.n_seqs:]):
        u = lp.ins[spec.n_states + spec.n_seqs + j]
        lines += [f"        bst[{pos + d}] = {u}_s[{d}];" for d in range(x.ndim)]
        pos, q = pos + x.ndim, q + 1
    return lines


def _tap_pointer(lp: _Loop, i: int, tap: int) -> str:
    """The row holding state i as it was `-tap` steps before step s_."""
    spec, row = lp.spec, lp.rowbytes(i)
    q = f"(s_ - {-tap})"
    before = f"pre{i} + ({lp.ins[i]}_n[0] + {q}) * {row}"
    if spec.keep[i]:
        stored = (f"so[{i}] + (T_ - 1 - {q}) * {row}" if spec.reverse
                  else f"so[{i}] + {q} * {row}")
    else:
        stored = f"ring{i} + ({q} % ({lp.ins[i]}_n[0] + 1)) * {row}"
    return f"({q} < 0 ? {before} : {stored})"


def _loop(lp: _Loop) -> list[str]:
    spec, node = lp.spec, lp.node
    args = []
    for i, taps in enumerate(spec.taps):
        args += [_tap_pointer(lp, i, tap) for tap in taps]
    for j in range(spec.n_seqs):
        seq = lp.ins[spec.n_states + j]
        item = node.inputs[spec.n_states + j].dtype.itemsize
        args.append(f"(char *){seq} + t_ * {seq}_s[0] * {item}")
    args += [f"(void *){u}" for u in lp.ins[spec.n_states + spec.n_seqs:]]
    outs = []
    for i in range(spec.n_states):
        row = lp.rowbytes(i)
        outs.append(f"so[{i}] + t_ * {row}" if spec.keep[i]
                    else f"ring{i} + (s_ % ({lp.ins[i]}_n[0] + 1)) * {row}")
    for j in range(spec.n_outs):
        k = spec.n_states + j
        outs.append(f"so[{k}] + t_ * {lp.rowbytes(k)}" if spec.keep[k] else f"so[{k}]")
    if spec.until:
        outs.append("&stop_")
    call = ", ".join(["S", "bst", "E", "nt"] + [f"(void *)({a})" for a in args + outs])
    return ["        for (s_ = 0; T_ < 0 || s_ < T_; s_++) {",
            f"            int64_t t_ = {'T_ - 1 - s_' if spec.reverse else 's_'};",
            "            (void)t_;",
            f"            rc = {lp.body}({call});",
            f"            if (rc) goto scan_end{lp.v};",
            "            if (stop_) { s_++; break; }",
            "        }"]


def _finish(lp: _Loop) -> list[str]:
    """Rows after a stop repeat the last; last-only states leave their ring; free."""
    spec, lines = lp.spec, []
    n_s, n_o = spec.n_states, spec.n_outs
    if spec.until:
        for k in range(n_s + n_o):
            if spec.keep[k]:
                row = lp.rowbytes(k)
                last = "(T_ - s_)" if spec.reverse else "(s_ - 1)"
                dest = "(T_ - 1 - u_)" if spec.reverse else "u_"
                lines.append(f"        for (int64_t u_ = s_; u_ > 0 && u_ < T_; u_++) "
                             f"memcpy(so[{k}] + {dest} * {row}, so[{k}] + {last} * {row}, "
                             f"(size_t){row});")
        lines.append(f"        *(int64_t *)so[{n_s + n_o}] = s_;")
    for i in range(n_s):
        if not spec.keep[i]:
            row = lp.rowbytes(i)
            n = f"{lp.ins[i]}_n[0]"
            lines.append(f"        memcpy(so[{i}], s_ > 0 ? ring{i} + ((s_ - 1) % ({n} + 1)) * "
                         f"{row} : pre{i} + ({n} - 1) * {row}, (size_t){row});")
    lines.append(f"    scan_end{lp.v}:")
    for i in range(n_s):
        lines.append(f"        free(pre{i}); free(ring{i});")
    lines.append("        if (rc) goto done;")
    return lines
