"""Render a whole graph as one C module: kernels plus one entry function (the VM).

The entry function runs the schedule: it binds inputs, computes views by stride
arithmetic, calls each kernel in order, mallocs each intermediate and frees it
after its last reader, and writes the outputs into caller-allocated buffers.
Every size, slice bound and constant pointer comes from the static table S
built next to the source, so the source depends only on the graph's structure
(ops, ranks, dtypes, axes): a new batch size renders identical text.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ...ir import Graph, Node, Op
from ...ir.ops import ELEMENTWISE, REDUCTION, SCATTER
from ...vm.reuse import take_dead_buffers
from ...vm.schedule import MARKERS, Schedule, build_schedule, reusable_inputs
from . import kernels_c, render_scan
from .cnames import ctype
from .complex_c import in_numpy
from .fallback import Steps
from .fuse_reduce import Program, plan
from .fusion import FusedLoop, fuse
from .kernel_units import KernelSet
from .ops_table import Helpers
from .prelude import ADAPT_SLOTS, PAR_SIZE  # ADAPT_SLOTS' last: may this graph start threads
from .prelude_index import PRODUCT_PAR
from .render_fused import render_fused
from .render_reduce import render_program

_VIEWS = {Op.TRANSPOSE, Op.BROADCAST_TO, Op.SLICE}


@dataclass
class Rendered:
    source: str         # the whole module as one C text (header, kernels, entry): to read
    table: np.ndarray
    consts: list[np.ndarray]
    # output slot -> input whose buffer it may take when donated (vm.schedule.reusable_inputs)
    reuse: dict[int, int] = field(default_factory=dict)
    # what is compiled: each distinct kernel in a file of its own, and the entry file
    # (kernel_units.py; the builder is build.py)
    kernels: dict[str, str] = field(default_factory=dict)
    entry: str = ""
    # the numpy steps' callback (fallback.py), kept alive with the executable
    numpy_steps: Steps | None = None




def _may_run_parallel(graph: Graph) -> bool:
    """Does any value (in loop bodies too) reach the size from which kernels start
    threads, or any product the work from which it does? If none does, the entry does
    not time its calls (60 ns of a 0.35 us call)."""
    for node in graph.nodes():
        if node.type.size >= PAR_SIZE:
            return True
        if node.op in (Op.DOT_GENERAL, Op.GEMM_ACC):    # M*N*K <= sqrt(|out| |a| |b|)
            a, b = node.inputs[-2:] if node.op is Op.GEMM_ACC else node.inputs
            if node.type.size * a.type.size * b.type.size >= PRODUCT_PAR ** 2:
                return True
        spec = node.attrs.get("spec") if node.op is Op.SCAN else None
        if spec is not None and _may_run_parallel(spec.body):
            return True
    return False


@dataclass
class _Table:
    values: list[int] = field(default_factory=list)

    def add(self, items) -> int:
        offset = len(self.values)
        self.values.extend(int(v) for v in items)
        return offset


def _kind(node: Node) -> str:
    if node.op in (Op.PARAM, Op.CONST):
        return "leaf"
    if node.op in _VIEWS:
        return "view"
    if node.op is Op.RESHAPE:
        return "maybe_view"
    if node.op is Op.IFELSE:
        return "alias"
    if node.op is Op.SCAN_OUT:     # a part of its scan's block (render_scan.py)
        return "view"
    return "compute"


class ModuleRenderer:
    """One graph -> (C source, static table). Use `render(graph)`."""

    def __init__(self, graph: Graph, parent: ModuleRenderer | None = None):
        self.graph = graph
        # a loop body's renderer writes into its parent's module: one table, one set of
        # kernels and helpers, its function before the parent's (render_scan.py)
        # a module's table starts with the slots its entry times its calls in (prelude.py,
        # tr_threads_pick)
        self.table = parent.table if parent else _Table([0] * ADAPT_SLOTS)
        self.helpers = parent.helpers if parent else Helpers()
        # one kernel per distinct computation, named by its text (kernel_units.py)
        self.kernels: KernelSet = parent.kernels if parent else KernelSet()
        self.functions: list[str] = parent.functions if parent else []
        self.numpy_steps: Steps = parent.numpy_steps if parent else Steps()
        # reductions with the elementwise work around them (fuse_reduce.py), then loops
        self.programs: dict[Node, Program] = plan(graph)
        claimed = frozenset(m for p in self.programs.values() for m in p.members)
        self.loops = fuse(graph, claimed)
        inlined = {m for loop in self.loops.values() for m in loop.members if m is not loop.root}
        inlined |= {m for p in self.programs.values() for m in p.members if m is not p.root}
        order = [n for n in graph.nodes() if n not in inlined]
        self.schedule: Schedule = build_schedule(graph, _kind, self._reads, order)
        self.local = {step.node: k for k, step in enumerate(self.schedule.steps)
                      if step.kind not in MARKERS}
        # a step whose input dies there writes into that input's buffer (vm/reuse.py)
        self.takes = take_dead_buffers(self.schedule, self._in_place)
        self.consts: list[np.ndarray] = parent.consts if parent else []
        self.decls: list[str] = []
        self.code: list[str] = []

    def _reads(self, node: Node) -> tuple[Node, ...]:
        loop = self.loops.get(node) or self.programs.get(node)
        return loop.leaves if loop else tuple(dict.fromkeys(node.inputs))

    def v(self, node: Node) -> str:
        return f"v{self.local[node]}"

    def render(self) -> Rendered:
        entry = self.function_text("tr_entry", exported=True)
        n_in, n_out = len(self.graph.inputs), len(self.graph.outputs)
        pointers = ", ".join(["S", "ST", "E", "nt"] + [f"p[{k}]" for k in range(n_in + n_out)])
        entry_v = ("/* the entry with its array pointers in one array (backends/c/pycall.py) */\n"
                   "TR_EXPORT int tr_entry_v(const int64_t *S, const int64_t *ST, int64_t *E, "
                   f"int nt, void *const *p) {{\n    (void)p;\n    return tr_entry({pointers});\n}}\n")
        entry_text = self.kernels.entry_file(
            "\n".join([self.helpers.text(), *self.functions, entry, entry_v]))
        self.table.values[ADAPT_SLOTS - 1] = int(_may_run_parallel(self.graph))
        table = np.array(self.table.values + [0], dtype=np.int64)
        reuse = reusable_inputs(self.graph, self.schedule, self._in_place)
        return Rendered(self.kernels.whole(entry_text), table, self.consts, reuse,
                        self.kernels.files(), entry_text, self.numpy_steps)

    def function_text(self, name: str, exported: bool) -> str:
        """The C function running this graph's schedule: `tr_entry`'s calling convention
        (static when it is a loop body, called by its loop's step)."""
        params = {p: i for i, p in enumerate(self.graph.inputs)}
        st_offset, offsets = 0, {}
        for p in self.graph.inputs:
            offsets[p] = st_offset
            st_offset += p.ndim
        depth = 0
        for step in self.schedule.steps:
            start = len(self.code)
            depth -= step.kind in ("else", "end")
            if step.kind in MARKERS:
                self._emit_marker(step)
            else:
                self._declare(step.node)
                self._emit_step(step.node, params, offsets)
            for dead in step.frees:
                self.code.append(f"    free(b{self.local[dead]}); b{self.local[dead]} = 0;")
            if depth:
                self.code[start:] = [_indent(text, depth) for text in self.code[start:]]
            depth += step.kind in ("if", "else")
        self._emit_copies()
        n_in, n_out = len(self.graph.inputs), len(self.graph.outputs)
        args = "".join(f", void *in{i}" for i in range(n_in)) + \
            "".join(f", void *out{j}" for j in range(n_out))
        owned = [f"b{self.local[n]}" for n in self.schedule.owned]
        cleanup = "".join(f"    free({b});\n" for b in owned)
        aligned = "".join(f"    if ((uintptr_t)in{i} % {p.dtype.itemsize}) return TR_EALIGN;\n"
                          for i, p in enumerate(self.graph.inputs)
                          if p.dtype.itemsize > 1 and exported)
        head = "TR_EXPORT int" if exported else "static int"
        adapt, noted = "", ""
        if exported:        # the thread count under load (prelude: tr_threads_pick)
            adapt = ("    int tried = -1; double t0 = 0;\n"
                     "    if (nt > 1 && S[TR_ADAPT_SLOTS - 1]) { nt = tr_threads_pick((int64_t *)S, nt, &tried); "
                     "t0 = tr_seconds(); }\n    else if (nt < 0) nt = -nt;\n")
            noted = ("    if (tried >= 0 && rc == TR_OK) "
                     "tr_threads_note((int64_t *)S, nt == 1, tried, tr_seconds() - t0);\n")
        return (f"{head} {name}(const int64_t *S, const int64_t *ST, int64_t *E, int nt{args}) {{\n"
                + aligned + adapt +
                "    int rc = TR_OK;\n    tr_nt_now = nt;\n    int64_t cs[64];\n    (void)ST; (void)E; (void)cs;\n"
                + "".join(f"    void *{b} = 0;\n" for b in owned)
                + "\n".join(self.decls) + "\n" + "\n".join(self.code)
                + "\n    goto done;\ndone:\n" + cleanup + noted + "    return rc;\n}\n")

    def _in_place(self, node: Node, param: Node) -> bool:
        """Is `node`'s kernel right when its output is `param`'s memory? A plain fused
        loop reads each leaf at the index it writes (a shifted one reads neighbours);
        gemm_acc reads its accumulator c the same way and skips copying c onto itself."""
        if node in self.programs:       # its passes read whole rows before writing
            return False
        if node.op in ELEMENTWISE and not in_numpy(node):
            return not self.loops[node].shifted
        if node.op is Op.GEMM_ACC:
            return node.inputs[0] is param and param not in node.inputs[1:]
        return False

    def _declare(self, node: Node) -> None:
        v, r = self.v(node), max(node.ndim, 1)
        shape = self.table.add(node.shape)
        self.decls.append(f"    {ctype(node.dtype)} *{v} = 0; const int64_t *{v}_n = S + {shape}; "
                          f"int64_t {v}_s[{r}]; (void){v}_n; (void){v}_s;")

    def _alloc(self, node: Node) -> None:
        """Point v at its output slot, or malloc it (owned, freed after its last reader)."""
        v, k = self.v(node), self.local[node]
        self.code.append(f"    tr_contig({node.ndim}, {v}_n, {v}_s);")
        slot = self.schedule.direct.get(node)
        if slot is not None:
            self.code.append(f"    {v} = ({ctype(node.dtype)} *)out{slot};")
            return
        dead = self.takes.get(node)
        if dead is not None:        # the buffer of an input read here for the last time
            d = self.local[dead]
            self.code.append(f"    b{k} = b{d}; b{d} = 0; {v} = ({ctype(node.dtype)} *)b{k};")
            return
        nbytes = self.table.add([node.type.size * node.dtype.itemsize])
        self.code.append(f"    b{k} = tr_alloc(S[{nbytes}]); if (!b{k}) {{ rc = TR_ENOMEM; goto done; }}"
                         f" {v} = ({ctype(node.dtype)} *)b{k};")

    def _emit_step(self, node: Node, params: dict, offsets: dict) -> None:
        v, t = self.v(node), ctype(node.dtype)
        op = node.op
        if op is Op.PARAM:
            i = params[node]
            self.code.append(f"    {v} = ({t} *)in{i};")
            for d in range(node.ndim):
                self.code.append(f"    {v}_s[{d}] = ST[{offsets[node] + d}];")
        elif op is Op.CONST:
            arr = np.ascontiguousarray(node.attrs["value"].array)
            self.consts.append(arr)
            ptr = self.table.add([arr.ctypes.data])
            self.code.append(f"    {v} = ({t} *)(intptr_t)S[{ptr}]; tr_contig({node.ndim}, {v}_n, {v}_s);")
        elif op is Op.SCAN_OUT:
            self.code.append(render_scan.output_view(self, node))
        elif op is Op.SCAN:
            self.code.append(render_scan.scan_step(self, node))
        elif op in _VIEWS or op is Op.RESHAPE:
            self._emit_view(node)
        elif op is Op.IFELSE:
            self.code.append(_choose(v, [self.v(i) for i in node.inputs], node.ndim))
        else:
            self._alloc(node)
            self.code.append(self._kernel_call(node))

    def _emit_marker(self, step) -> None:
        """Open, switch or close a lazy branch (vm/branches.py)."""
        text = {"if": f"if ({self.v(step.node)}[0]) {{", "else": "} else {", "end": "}"}
        self.code.append("    " + text[step.kind])

    def _emit_view(self, node: Node) -> None:
        v, t = self.v(node), ctype(node.dtype)
        src = node.inputs[0]
        u = self.v(src)
        code = self.code
        if node.op is Op.TRANSPOSE:
            code.append(f"    {v} = {u};")
            code += [f"    {v}_s[{d}] = {u}_s[{p}];" for d, p in enumerate(node.attrs["perm"])]
        elif node.op is Op.BROADCAST_TO:
            lead = node.ndim - src.ndim
            code.append(f"    {v} = {u};")
            code += [f"    {v}_s[{d}] = 0;" for d in range(lead)]
            code += [f"    {v}_s[{d + lead}] = {u}_n[{d}] == 1 ? 0 : {u}_s[{d}];"
                     for d in range(src.ndim)]
        elif node.op is Op.SLICE:
            empty = node.type.size == 0
            starts = self.table.add([0 if empty else a for a in node.attrs["starts"]])
            steps = self.table.add(node.attrs["steps"])
            offset = " + ".join(f"S[{starts + d}] * {u}_s[{d}]" for d in range(node.ndim)) or "0"
            code.append(f"    {v} = {u} + ({offset});")
            code += [f"    {v}_s[{d}] = {u}_s[{d}] * S[{steps + d}];" for d in range(node.ndim)]
        else:  # reshape: a view when the strides allow (numpy's rule), else a copy
            k = self.local[node]
            nbytes = self.table.add([node.type.size * node.dtype.itemsize])
            code.append(
                f"    if (tr_prod({node.ndim}, {v}_n) == 0) {{ {v} = {u}; tr_contig({node.ndim}, {v}_n, {v}_s); }}\n"
                f"    else if (tr_reshape_view({src.ndim}, {u}_n, {u}_s, {node.ndim}, {v}_n, {v}_s)) {v} = {u};\n"
                f"    else {{\n        b{k} = tr_alloc(S[{nbytes}]); if (!b{k}) {{ rc = TR_ENOMEM; goto done; }}\n"
                f"        {v} = ({t} *)b{k}; tr_contig({src.ndim}, {u}_n, cs);\n"
                f"        tr_copy({src.ndim}, {u}_n, (char *){v}, cs, (const char *){u}, {u}_s, {node.dtype.itemsize});\n"
                f"        tr_contig({node.ndim}, {v}_n, {v}_s);\n    }}")

    def _kernel(self, name_text: tuple[str, str]) -> str:
        name, text = name_text
        return self.kernels.add(name, text)

    def _kernel_call(self, node: Node) -> str:
        v, op = self.v(node), node.op
        x = node.inputs[0]
        check = "    if (rc) goto done;"
        if node in self.programs:
            return self._program_call(node)
        if in_numpy(node):      # complex values and ops listed in NUMPY_FALLBACK
            return self.numpy_steps.call(self, node)
        if op in ELEMENTWISE:
            loop: FusedLoop = self.loops[node]
            helpers = Helpers()          # a kernel's file holds the helpers it calls
            text, table = render_fused(KernelSet.PLACEHOLDER, loop, helpers)
            name = self.kernels.add_fused(text, helpers.defs)
            args = "".join(f", {self.v(leaf)}, {self.v(leaf)}_s" for leaf in loop.leaves)
            args += f", S + {self.table.add(table)}" if loop.shifted else ""
            return f"    rc = {name}({v}_n, {v}{args}, nt);\n{check}"
        ins = [self.v(i) for i in node.inputs]
        if op in REDUCTION:
            name = self._kernel(kernels_c.reduce_kernel(op, x.dtype))
            mask = self.table.add([int(d in node.attrs["axes"]) for d in range(x.ndim)])
            return f"    rc = {name}({x.ndim}, {ins[0]}_n, {ins[0]}, {ins[0]}_s, S + {mask}, {v}, nt);\n{check}"
        if op in (Op.ARGMAX, Op.ARGMIN):
            name = self._kernel(kernels_c.arg_kernel(op, x.dtype))
            return (f"    rc = {name}({x.ndim}, {ins[0]}_n, {ins[0]}, {ins[0]}_s, "
                    f"{node.attrs['axis']}, {v}, nt);\n{check}")
        if op in (Op.CUMSUM, Op.CUMPROD):
            name = self._kernel(kernels_c.cum_kernel(op, x.dtype))
            return (f"    rc = {name}({x.ndim}, {ins[0]}_n, {ins[0]}, {ins[0]}_s, "
                    f"{node.attrs['axis']}, {v}, nt);\n{check}")
        if op is Op.CONCATENATE:
            return self._concatenate(node)
        if op is Op.UPDATE_SLICE:
            return self._update_slice(node)
        if op is Op.GATHER or op in SCATTER:
            return self._indexing(node)
        if op is Op.GEMM_ACC:
            return kernels_c.gemm_acc_call(self, node)
        if op is Op.DOT_GENERAL:
            (lc, rc), (lb, rb) = node.attrs["contract"], node.attrs["batch"]
            y = node.inputs[1]
            lfree = [d for d in range(x.ndim) if d not in lc and d not in lb]
            rfree = [d for d in range(y.ndim) if d not in rc and d not in rb]
            ax = self.table.add([len(lb), *lb, *rb, len(lc), *lc, *rc, len(lfree), *lfree,
                                 len(rfree), *rfree])
            name = self._kernel(kernels_c.dot_kernel(x.dtype))
            a, b = ins
            return (f"    rc = {name}({x.ndim}, {a}_n, {a}, {a}_s, {y.ndim}, {b}_n, {b}, {b}_s, "
                    f"S + {ax}, {v});\n{check}")
        raise NotImplementedError(f"the C backend has no kernel for {op.value}")

    def _program_call(self, node: Node) -> str:
        """A reduction program (render_reduce.py): every operand strided over its full shape."""
        prog = self.programs[node]
        helpers = Helpers()
        name = self.kernels.add_fused(render_program(KernelSet.PLACEHOLDER, prog, helpers),
                                      helpers.defs)
        full = self.table.add(prog.domain.full)
        args = [f"{self.v(node)}", self._full_strides(node, prog)]
        for leaf in prog.leaves:
            args += [self.v(leaf), self._full_strides(leaf, prog)]
        return f"    rc = {name}(S + {full}, {', '.join(args)}, nt);\n    if (rc) goto done;"

    def _full_strides(self, node: Node, prog: Program) -> str:
        """node's strides over the program's full shape: 0 along the reduced axes of a row
        value (whose kept axes come first, the reduced ones dropped or of size 1)."""
        u = self.v(node)
        if node.shape == prog.domain.full:
            return f"{u}_s"
        kept, rank = len(prog.domain.kept), len(prog.domain.full)
        return "(const int64_t[]){" + ", ".join(
            [f"{u}_s[{d}]" for d in range(kept)] + ["0"] * (rank - kept)) + "}"

    def _concatenate(self, node: Node) -> str:
        v, axis = self.v(node), node.attrs["axis"]
        starts, acc = [], 0
        for i in node.inputs:
            starts.append(acc)
            acc += i.shape[axis]
        off = self.table.add(starts)
        lines = []
        for j, i in enumerate(node.inputs):
            u = self.v(i)
            lines.append(f"    tr_copy({node.ndim}, {u}_n, (char *)({v} + S[{off + j}] * {v}_s[{axis}]), "
                         f"{v}_s, (const char *){u}, {u}_s, {node.dtype.itemsize});")
        return "\n".join(lines)

    def _update_slice(self, node: Node) -> str:
        """A copy of x, then v copied into the box (its strides: the copy's times the steps)."""
        v, (x, val) = self.v(node), node.inputs
        u, w, r = self.v(x), self.v(val), node.ndim
        starts = self.table.add(node.attrs["starts"])
        steps = self.table.add(node.attrs["steps"])
        offset = " + ".join(f"S[{starts + d}] * {v}_s[{d}]" for d in range(r)) or "0"
        isz = node.dtype.itemsize
        strides = "".join(f" bs[{d}] = {v}_s[{d}] * S[{steps + d}];" for d in range(r))
        return "\n".join([
            f"    tr_copy({r}, {v}_n, (char *){v}, {v}_s, (const char *){u}, {u}_s, {isz});",
            f"    {{ int64_t bs[{max(r, 1)}];{strides}",
            f"      if (tr_prod({r}, {w}_n)) tr_copy({r}, {w}_n, (char *)({v} + ({offset})), bs, "
            f"(const char *){w}, {w}_s, {isz}); }}"])

    def _indexing(self, node: Node) -> str:
        v, axis = self.v(node), node.attrs["axis"]
        x, *rest = node.inputs
        idx = rest if node.op is Op.GATHER else rest[:-1]
        ux, ui = self.v(x), [self.v(i) for i in idx]
        k, q = len(idx), idx[0].ndim
        common = (f"{x.ndim}, {ux}_n, {{X}}, {ux}_s, {axis}, {k}, {q}, {ui[0]}_n, "
                  f"(const int64_t *const[]){{{', '.join(ui)}}}, "
                  f"(const int64_t *const[]){{{', '.join(u + '_s' for u in ui)}}}")
        if node.op is Op.GATHER:
            call = (f"tr_gather({common.replace('{X}', f'(const char *){ux}')}, (char *){v}, "
                    f"{x.dtype.itemsize}, E)")
        else:
            upd = self.v(rest[-1])
            name = self._kernel(kernels_c.scatter_kernel(node.op, x.dtype))
            call = f"{name}({common.replace('{X}', ux)}, {upd}, {upd}_s, {v}, E)"
        return f"    rc = {call};\n    if (rc) goto done;"

    def _emit_copies(self) -> None:
        for slot, node in self.schedule.copies:
            u = self.v(node)
            copy = (f"    tr_contig({node.ndim}, {u}_n, cs);\n"
                    f"    tr_copy({node.ndim}, {u}_n, (char *)out{slot}, cs, (const char *){u}, "
                    f"{u}_s, {node.dtype.itemsize});")
            if node.op is Op.IFELSE:   # the taken branch may have written the slot itself
                copy = f"    if ((void *){u} != out{slot}) {{\n{_indent(copy, 1)}\n    }}"
            self.code.append(copy)
        for dead in self.schedule.final_frees:
            self.code.append(f"    free(b{self.local[dead]}); b{self.local[dead]} = 0;")


def _indent(text: str, depth: int) -> str:
    pad = "    " * depth
    return "\n".join(pad + line for line in text.split("\n"))


def _choose(v: str, ins: list[str], ndim: int) -> str:
    """An ifelse result aliases the taken branch's value: pointer and strides."""
    c, a, b = ins
    sides = []
    for u in (a, b):
        strides = "".join(f" {v}_s[{d}] = {u}_s[{d}];" for d in range(ndim))
        sides.append(f"{{ {v} = {u};{strides} }}")
    return f"    if ({c}[0]) {sides[0]}\n    else {sides[1]}"


def render(graph: Graph) -> Rendered:
    return ModuleRenderer(graph).render()
