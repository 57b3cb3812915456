"""C for one reduction program (fuse_reduce.py): passes over each row, in cache.

Every operand (the output and each leaf) comes as an array over the program's full
shape F, with strides; a row-level one has stride 0 along the reduced axes. The
kernel splits F's dims into kept ones (the rows) and reduced ones, collapses each
group, and runs, for each row, every reduction stage and then the final pass that
writes a full-level root:

  stage s: for each chunk of TR_CHUNK elements of the row (fixed, so the result does
           not depend on the thread count), blocks of TR_B elements are computed into
           a stack buffer (`#pragma omp simd`, strided operands gathered first) and
           summed pairwise as numpy does (8 interleaved accumulators over 128-element
           leaves); block partials, then chunk partials, are combined by a cascade (a
           binary counter: pairwise again). A float max or min combines a block in 8
           vectorized lanes; a product and an integer reduction in order.
  row:     the row-level members known after that stage (x.max -> its shift, ...).
  final:   the root's full-level expression, written block by block; a costly value
           the last stage computed too (softmax's exp) was written into the output
           then, and is read back rather than computed twice.

Many rows (at least 2 per thread): threads take whole rows, and a row is read from
memory once and then from cache. Few long rows: each stage runs over all rows, with
the chunks of a row computed in parallel, into an array combined in order afterwards:
the same partials, the same cascade, so the same bits for any number of threads.
"""
from __future__ import annotations

from ...ir import Node, Op
from ...ir.ops import REDUCTION
from .cnames import accumulator, ctype
from .fuse_reduce import FULL, ROW, Program
from .kernels_c import _line, cascade, combine
from .ops_table import Helpers, expression


class _Names:
    """C names of one program's values: leaves are operands 1.., out is operand 0."""

    def __init__(self, prog: Program):
        self.prog = prog
        self.operand = {leaf: j + 1 for j, leaf in enumerate(prog.leaves)}
        self.rows = [n for n in prog.members if prog.level[n] == ROW]
        self.row_index = {n: k for k, n in enumerate(self.rows)}
        self.reds = [n for n in prog.members if n.op in REDUCTION]
        self.stash = _stash(self)

    def row_value(self, node: Node) -> str:
        """A row-level value at the current row."""
        if node in self.operand:
            j = self.operand[node]
            return f"a{j}[b{j}]"
        return f"r{self.row_index[node]}[row]"


# cheap to compute again: not worth a round trip through memory
_CHEAP = frozenset({Op.ADD, Op.SUB, Op.MUL, Op.NEG, Op.ABS, Op.MAXIMUM, Op.MINIMUM,
                    Op.SELECT, Op.CAST, Op.BROADCAST_TO})


def _stash(names: _Names) -> Node | None:
    """A costly full-level value that the last reduction pass and the final pass both
    need (softmax's exp(x - max)): the last pass writes it into the output, the final
    pass reads it back instead of computing it again (the row is still in cache)."""
    prog = names.prog
    if prog.level[prog.root] != FULL or prog.stages == 0:
        return None
    last = [r.inputs[0] for r in names.reds if prog.stage[r] == prog.stages]
    before = set(_needed(names, last))
    common = [n for n in _needed(names, [prog.root]) if n in before
              and n.dtype == prog.root.dtype and n is not prog.root]
    if not any(n.op not in _CHEAP for n in common):
        return None
    return common[-1]


def _needed(names: _Names, roots: list[Node], stop: Node | None = None) -> list[Node]:
    """The full-level members `roots` need (topological), stopping at row values (and at
    `stop`, which the final pass reads back from the output)."""
    prog, found = names.prog, set()
    stack = list(roots)
    while stack:
        node = stack.pop()
        if node in found or node not in prog.level or prog.level[node] != FULL \
                or node in names.operand:
            continue
        found.add(node)
        if node.op is not Op.BROADCAST_TO and node is not stop:
            stack.extend(node.inputs)
    return [n for n in prog.members if n in found]


def _full_leaves(names: _Names, members: list[Node], roots: list[Node]) -> list[int]:
    prog = names.prog
    ins = [i for n in members if n.op is not Op.BROADCAST_TO for i in n.inputs] + roots
    return sorted({names.operand[i] for i in ins if i in names.operand
                   and prog.level[i] == FULL})


def _block(names: _Names, roots: list[Node], helpers: Helpers,
           stop: Node | None = None) -> tuple[list[str], dict]:
    """(statements of one element `e` of a block, node -> its C value there); `stop`'s
    value is read back from the output (sv), not computed again."""
    members = _needed(names, roots, stop)
    value: dict[Node, str] = {stop: "sv[e]"} if stop is not None else {}
    for j in _full_leaves(names, [m for m in members if m is not stop], roots):
        value[names.prog.leaves[j - 1]] = f"l{j}[e]"
    lines = []
    for k, node in enumerate(members):
        if node in value:
            continue
        if node.op is Op.BROADCAST_TO:
            value[node] = names.row_value(node.inputs[0])
            continue
        expr = expression(node.op, node.inputs[-1].dtype, node.dtype,
                          [value[i] for i in node.inputs], helpers)
        lines.append(f"{ctype(node.dtype)} t{k} = {expr.text};")
        value[node] = f"t{k}"
    return lines, value


def _gathers(leaves: list[int], names: _Names, start: str) -> str:
    """Pointers l{j} to a block's elements of each full leaf (gathered when strided)."""
    out = []
    for j in leaves:
        t = ctype(names.prog.leaves[j - 1].dtype)
        out.append(f"const {t} *l{j} = p{j} + ({start}) * ls[{j}]; {t} g{j}[TR_B]; "
                   f"if (ls[{j}] != 1) {{ for (int64_t e = 0; e < len; e++) g{j}[e] = "
                   f"l{j}[e * ls[{j}]]; l{j} = g{j}; }}")
    return "\n".join(out)


def _pointers(leaves: list[int], names: _Names, start: str) -> str:
    """p{j}: leaf j at the current row, outer reduced index q, position `start`."""
    return "\n".join(
        f"const {ctype(names.prog.leaves[j - 1].dtype)} *p{j} = a{j} + b{j} + "
        f"(rr > 1 ? tr_offset(rr - 1, rn, rs + {j} * R, q) : 0) + ({start}) * ls[{j}];"
        for j in leaves)


def _chunk(names: _Names, reds: list[Node], helpers: Helpers) -> str:
    """C computing pv{i} for each reduction of a stage over chunk (q, c) of `row`."""
    inputs = [r.inputs[0] for r in reds]
    lines, value = _block(names, inputs, helpers)
    leaves = _full_leaves(names, _needed(names, inputs), inputs)
    accs = [accumulator(r.dtype) for r in reds]
    idx = [names.row_index[r] for r in reds]
    decl = "".join(f"{a} pv{i}; " for a, i in zip(accs, idx))
    stacks = " ".join(f"{a} st{i}[64]; int top{i} = 0;" for a, i in zip(accs, idx))
    # a leaf reduced as it is, in the accumulator's type, is read in place (no copy)
    direct = {i: value[x][:-3] for i, x, a in zip(idx, inputs, accs)
              if value[x].endswith("[e]") and ctype(x.dtype) == a and x in names.operand}
    bufs = " ".join(f"{a} u{i}[TR_B];" for a, i in zip(accs, idx) if i not in direct)
    stores = " ".join(f"u{i}[e] = ({a}){value[x]};" for a, i, x in zip(accs, idx, inputs)
                      if i not in direct)
    pushes = "\n".join(f"NAME_r{i}_push(st{i}, &top{i}, blk, NAME_r{i}_line("
                       f"{direct.get(i, f'u{i}')}, len, 1));" for i in idx)
    totals = " ".join(f"pv{i} = NAME_r{i}_total(st{i}, top{i});" for i in idx)
    stash = names.stash if names.stash in value else None
    if stash is not None:      # kept in the output for the final pass (render_program)
        stores += f" sw[e] = {value[stash]};"
    body = "\n    ".join(lines + [stores])
    return f"""{decl}{{
int64_t c0 = c * TR_CHUNK, clen = L - c0 < TR_CHUNK ? L - c0 : TR_CHUNK;
{_pointers(leaves, names, "c0")}
{stacks}
for (int64_t i0 = 0, blk = 0; i0 < clen; i0 += TR_B, blk++) {{
int64_t len = clen - i0 < TR_B ? clen - i0 : TR_B;
{_gathers(leaves, names, "i0")}
{bufs}{_stash_out(stash)}
#pragma omp simd
for (int64_t e = 0; e < len; e++) {{
    {body}
}}
{_stash_scatter(stash)}{pushes}
}}
{totals}
}}"""


def _stash_out(stash: Node | None) -> str:
    """sw: where a chunk's block of the stashed value goes in the output."""
    if stash is None:
        return ""
    t = ctype(stash.dtype)
    return (f"\n{t} sb[TR_B]; {t} *so = o + b0 + (rr > 1 ? tr_offset(rr - 1, rn, rs, q) : 0)"
            f" + (c0 + i0) * ls[0]; {t} *sw = ls[0] == 1 ? so : sb;")


def _stash_scatter(stash: Node | None) -> str:
    if stash is None:
        return ""
    return "if (ls[0] != 1) for (int64_t e = 0; e < len; e++) so[e * ls[0]] = sb[e];\n"


def _row_statements(names: _Names, stage: int, helpers: Helpers) -> str:
    """The row-level members known after `stage` (not the reductions), at `row`."""
    prog, out = names.prog, []
    for node in names.rows:
        if node.op in REDUCTION or prog.stage[node] != stage:
            continue
        k = names.row_index[node]
        if node.op is Op.RESHAPE:
            out.append(f"r{k}[row] = {names.row_value(node.inputs[0])};")
            continue
        expr = expression(node.op, node.inputs[-1].dtype, node.dtype,
                          [names.row_value(i) for i in node.inputs], helpers)
        out.append(f"r{k}[row] = {expr.text};")
    return "\n".join(out)


def _final(names: _Names, helpers: Helpers) -> str:
    """C writing block (q, i0) of the full-level root at `row`."""
    root, stash = names.prog.root, names.stash
    lines, value = _block(names, [root], helpers, stash)
    members = [m for m in _needed(names, [root], stash) if m is not stash]
    leaves = _full_leaves(names, members, [root] if root is not stash else [])
    t = ctype(root.dtype)
    body = "\n    ".join(lines + [f"w[e] = {value[root]};"])
    back = "" if stash is None else (
        f"\n{t} sg[TR_B]; const {t} *sv = ow; if (ls[0] != 1) {{ for (int64_t e = 0; e < len; "
        f"e++) sg[e] = ow[e * ls[0]]; sv = sg; }}")
    return f"""{{
int64_t len = L - i0 < TR_B ? L - i0 : TR_B;
{_pointers(leaves, names, "0")}
{_gathers(leaves, names, "i0")}
{t} ob[TR_B]; {t} *ow = o + b0 + (rr > 1 ? tr_offset(rr - 1, rn, rs, q) : 0) + i0 * ls[0];
{t} *w = ls[0] == 1 ? ow : ob;{back}
#pragma omp simd
for (int64_t e = 0; e < len; e++) {{
    {body}
}}
if (ls[0] != 1) for (int64_t e = 0; e < len; e++) ow[e * ls[0]] = ob[e];
}}"""


def _lanes(name: str, a: str, ident: str, op: Op) -> str:
    """`name_line(x, n, 1)` combining a float max/min block in 8 interleaved lanes (vectorized:
    a maximum is no longer one long dependency chain), then the lanes in order. A
    maximum or minimum keeps NaN apart (any NaN makes the result NaN, as numpy's), so
    the lanes are a plain compare-and-select. Floats only: gcc 12 with 512-bit vectors
    miscompiles this shape for wrapping int sums."""
    cmp = ">" if op is Op.REDUCE_MAX else "<"
    step = f"{a} v = x[i + j]; r[j] = v {cmp} r[j] ? v : r[j]; bad |= v != v;"
    tail = f"{{ {a} v = x[i]; acc = v {cmp} acc ? v : acc; bad |= v != v; }}"
    nan = f"    if (bad) return ({a})NAN;\n"
    fold = f"acc = r[j] {cmp} acc ? r[j] : acc;"
    return f"""static {a} {name}_line(const {a} *x, int64_t n, int64_t s) {{
    (void)s;
    {a} r[8], acc;
    int bad = 0;
    for (int j = 0; j < 8; j++) r[j] = {ident};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {{
        #pragma omp simd reduction(|:bad)
        for (int j = 0; j < 8; j++) {{ {step} }}
    }}
    acc = r[0];
    for (int j = 1; j < 8; j++) {fold}
    for (; i < n; i++) {tail}
{nan}    return acc;
}}
"""


def _helpers(names: _Names) -> str:
    """Per reduction: its block partial (`_line`) and its cascade (push, total)."""
    out = []
    for red in names.reds:
        i, a = names.row_index[red], accumulator(red.dtype)
        ident, comb = combine(red.op, red.dtype)
        if red.dtype.kind != "f" or red.op is Op.REDUCE_PROD:   # in order: wrapping
            out.append(_line(f"NAME_r{i}", a, ident, comb, False, a))   # int sums in 8
            # lanes miscompile, and a product's lanes overflow and underflow apart
            # (inf * 0 = NaN where numpy's running product gives -inf)
        elif red.op is Op.REDUCE_SUM:
            out.append(_line(f"NAME_r{i}", a, ident, comb, True, a))
        else:
            out.append(_lanes(f"NAME_r{i}", a, ident, red.op))
        out.append(cascade(f"NAME_r{i}", a, ident, comb, red.op is Op.REDUCE_SUM))
    return "\n".join(out)


def par_for(loop: str, body: str, chunk: int) -> str:
    """`loop { body }` over OpenMP threads when `par` holds (else plain, no libgomp call),
    handing out `chunk` iterations at a time: a thread that finishes early (or shares its
    core with another process) takes more. Every iteration writes its own results, so the
    assignment changes no bit of the output."""
    return (f"    if (par) {{\n        #pragma omp parallel for num_threads(nt) "
            f"schedule(dynamic, {chunk})\n        {loop} {{\n{body}\n        }}\n    }} else {{\n"
            f"        {loop} {{\n{body}\n        }}\n    }}\n")


def _bases(nop: int) -> str:
    return " ".join(f"int64_t b{j} = tr_offset(kr, kn, ks + {j} * R, row); (void)b{j};"
                    for j in range(nop))


def _stage_reds(names: _Names, s: int) -> list[Node]:
    return [r for r in names.reds if names.prog.stage[r] == s]


def _finish(names: _Names, reds: list[Node], parts: str) -> str:
    """Cascade the chunk partials of `reds` at `row` (`parts`: a loop pushing pv's)."""
    out = []
    for r in reds:
        i, a = names.row_index[r], accumulator(r.dtype)
        out.append(f"{a} rst{i}[64]; int rtop{i} = 0;")
    out.append(parts)
    for r in reds:
        i = names.row_index[r]
        out.append(f"r{i}[row] = ({ctype(r.dtype)})NAME_r{i}_total(rst{i}, rtop{i});")
    return "\n".join(out)


def _row_mode(names: _Names, helpers: Helpers, nop: int) -> str:
    """One row, every stage, then its output: the body of the loop over rows."""
    prog, out = names.prog, [_bases(nop), _row_statements(names, 0, helpers)]
    for s in range(1, prog.stages + 1):
        reds = _stage_reds(names, s)
        push = " ".join(f"NAME_r{names.row_index[r]}_push(rst{names.row_index[r]}, "
                        f"&rtop{names.row_index[r]}, pc, pv{names.row_index[r]});" for r in reds)
        parts = (f"for (int64_t q = 0, pc = 0; q < nq; q++) for (int64_t c = 0; c < nc; "
                 f"c++, pc++) {{\n{_chunk(names, reds, helpers)}\n{push}\n}}")
        out += [_finish(names, reds, parts), _row_statements(names, s, helpers)]
    if prog.level[prog.root] == FULL:
        out.append(f"for (int64_t q = 0; q < nq; q++) for (int64_t i0 = 0; i0 < L; "
                   f"i0 += TR_B) {_final(names, helpers)}")
    else:
        out.append(f"o[b0] = {names.row_value(prog.root)};")
    return "\n".join(out)


def _stage_mode(names: _Names, helpers: Helpers, nop: int) -> str:
    """Stage by stage over all rows, each row's chunks in parallel (few, long rows)."""
    prog = names.prog
    out = [f"for (int64_t row = 0; row < rows; row++) {{ {_bases(nop)}\n"
           f"{_row_statements(names, 0, helpers)} }}"]
    for s in range(1, prog.stages + 1):
        reds = _stage_reds(names, s)
        idx = [names.row_index[r] for r in reds]
        alloc = " ".join(f"{accumulator(r.dtype)} *part{i} = tr_alloc(nq * nc * "
                         f"(int64_t)sizeof({accumulator(r.dtype)}));" for r, i in zip(reds, idx))
        fail = " || ".join(f"!part{i}" for i in idx)
        frees = " ".join(f"free(part{i});" for i in idx)
        store = " ".join(f"part{i}[p] = pv{i};" for i in idx)
        work = par_for("for (int64_t p = 0; p < nq * nc; p++)",
                       f"int64_t q = p / nc, c = p % nc;\n{_chunk(names, reds, helpers)}\n{store}",
                       1)
        push = " ".join(f"NAME_r{i}_push(rst{i}, &rtop{i}, p, part{i}[p]);" for i in idx)
        parts = f"{work}\nfor (int64_t p = 0; p < nq * nc; p++) {{ {push} }}"
        out.append(f"{{ {alloc}\nif ({fail}) {{ {frees} rc = TR_ENOMEM; goto done; }}\n"
                   f"for (int64_t row = 0; row < rows; row++) {{ {_bases(nop)}\n"
                   f"{_finish(names, reds, parts)}\n{_row_statements(names, s, helpers)}\n}}\n"
                   f"{frees} }}")
    if prog.level[prog.root] == FULL:
        out.append(par_for("for (int64_t p = 0; p < rows * nq * nb; p++)",
                           f"int64_t row = p / (nq * nb), q = (p / nb) % nq, "
                           f"i0 = (p % nb) * TR_B;\n{_bases(nop)}\n{_final(names, helpers)}",
                           16))
    else:
        out.append(f"for (int64_t row = 0; row < rows; row++) {{ {_bases(nop)} "
                   f"o[b0] = {names.row_value(prog.root)}; }}")
    return "\n".join(out)


def render_program(name: str, prog: Program, helpers: Helpers) -> str:
    """The C kernel `int name(n, o, os, a1, s1, ..., nt)` running `prog`: n is F's shape,
    each s its operand's strides over F (0 along the reduced axes for a row value)."""
    names = _Names(prog)
    nop, rank, na = len(prog.leaves) + 1, len(prog.domain.full), len(prog.domain.axes)
    leaves = "".join(f", const {ctype(x.dtype)} *a{j + 1}, const int64_t *s{j + 1}"
                     for j, x in enumerate(prog.leaves))
    rows_decl = " ".join(f"{ctype(n.dtype)} *r{k} = tr_alloc(rows * (int64_t)sizeof("
                         f"{ctype(n.dtype)}));" for k, n in enumerate(names.rows))
    rows_fail = " || ".join(f"!r{k}" for k in range(len(names.rows))) or "0"
    rows_free = " ".join(f"free(r{k});" for k in range(len(names.rows)))
    strides = ", ".join(["s0"] + [f"s{j + 1}" for j in range(len(prog.leaves))])
    text = f"""{_helpers(names)}
static int NAME(const int64_t *n0, {ctype(prog.root.dtype)} *o, const int64_t *s0{leaves}, int nt) {{
    enum {{ R = {rank}, NOP = {nop}, NA = {na} }};
    int64_t kn[R], rn[R], ks[NOP * R], rs[NOP * R], ls[NOP];
    const int64_t *ss[NOP] = {{{strides}}};
    int kr = 0, rr = 0, rc = TR_OK;
    for (int d = 0; d < R; d++) {{
        int red = d >= R - NA;
        for (int j = 0; j < NOP; j++) {{
            if (red) rs[j * R + rr] = ss[j][d]; else ks[j * R + kr] = ss[j][d];
        }}
        if (red) rn[rr++] = n0[d]; else kn[kr++] = n0[d];
    }}
    int64_t rows = tr_prod(kr, kn);
    if (rows == 0) return TR_OK;
    kr = tr_collapse_ld(kr, kn, NOP, ks, R);
    rr = tr_collapse_ld(rr, rn, NOP, rs, R);
    int64_t L = rr ? rn[rr - 1] : 1, nq = rr ? tr_prod(rr - 1, rn) : 1;
    int64_t nc = (L + TR_CHUNK - 1) / TR_CHUNK, nb = (L + TR_B - 1) / TR_B;
    for (int j = 0; j < NOP; j++) ls[j] = rr ? rs[j * R + rr - 1] : 0;
    (void)nb; (void)nc;
    {rows_decl}
    if ({rows_fail}) {{ rc = TR_ENOMEM; goto done; }}
    int par = nt > 1 && rows * nq * L >= TR_PAR;
    if (!par || rows >= 2 * nt) {{
{par_for("for (int64_t row = 0; row < rows; row++)", _row_mode(names, helpers, nop), 8)}
    }} else {{
{_stage_mode(names, helpers, nop)}
    }}
done:
    {rows_free}
    return rc;
}}
"""
    return text.replace("NAME", name)
