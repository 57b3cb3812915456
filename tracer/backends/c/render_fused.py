"""C for one fused elementwise loop: blocked, strided, SIMD, OpenMP above a size.

The loop walks the output in C order after merging dims every operand walks
contiguously (usually down to one dim). The innermost dim goes in blocks of
TR_B elements: an operand with unit stride is read in place, any other stride
(broadcast 0, negative, transposed) is gathered into a small stack buffer, so
the `#pragma omp simd` body always runs on contiguous data and gcc vectorizes
it, math calls included (libmvec). Blocks are independent: OpenMP splits them
statically when the loop has at least TR_PAR elements.
"""
from __future__ import annotations

from ...ir import Node
from .cnames import ctype
from .fusion import FusedLoop
from .ops_table import Helpers, expression
from .render_window import render_window


def _body(loop: FusedLoop, helpers: Helpers) -> tuple[list[str], list[str]]:
    """(statements computing one element into `res`, checks OR-ed into `bad`)."""
    names: dict[Node, str] = {leaf: f"l{j}[i]" for j, leaf in enumerate(loop.leaves)}
    lines, checks = [], []
    for k, node in enumerate(loop.members):
        dtype = node.inputs[-1].dtype
        expr = expression(node.op, dtype, node.dtype, [names[i] for i in node.inputs], helpers)
        lines.append(f"{ctype(node.dtype)} t{k} = {expr.text};")
        if expr.check:
            checks.append(expr.check)
        names[node] = f"t{k}"
    lines.append(f"o[i] = t{len(loop.members) - 1};")
    return lines, checks


def render_fused(name: str, loop: FusedLoop, helpers: Helpers) -> tuple[str, list[int]]:
    """The C functions `name` (whole loop) and `name_blk` (one block), and the
    table the loop reads after its leaves (only a loop with shifted members has one)."""
    if loop.shifted:
        return render_window(name, loop, helpers)
    return _render_blocked(name, loop, helpers), []


def _render_blocked(name: str, loop: FusedLoop, helpers: Helpers) -> str:
    rank, k = loop.root.ndim, len(loop.leaves)
    r = max(rank, 1)
    out_t = ctype(loop.root.dtype)
    leaf_t = [ctype(leaf.dtype) for leaf in loop.leaves]
    body, checks = _body(loop, helpers)
    params = "".join(f", const {t} *a{j}" for j, t in enumerate(leaf_t))
    args = "".join(f", a{j}" for j in range(k))
    gathers = "\n".join(
        f"    {t} g{j}[TR_B]; const {t} *l{j} = a{j} + tr_offset(q - 1, n, s + {r * (j + 1)}, row)"
        f" + b0 * s[{r * (j + 1)} + q - 1];\n"
        f"    if (q && s[{r * (j + 1)} + q - 1] != 1) {{ int64_t st = s[{r * (j + 1)} + q - 1];"
        f" for (int64_t i = 0; i < len; i++) g{j}[i] = l{j}[i * st]; l{j} = g{j}; }}"
        for j, t in enumerate(leaf_t))
    check = "".join(f"\n            bad |= {c};" for c in checks)
    body_text = "\n            ".join(body)
    copy_strides = "".join(
        f"    for (int d = 0; d < {rank}; d++) s[{r * (j + 1)} + d] = s{j}[d];\n" for j in range(k))
    call_params = "".join(f", const {t} *a{j}, const int64_t *s{j}" for j, t in enumerate(leaf_t))
    return f"""static int {name}_blk(int64_t c, int64_t nb, int64_t m, int q, const int64_t *n,
                       const int64_t *s, {out_t} *out{params}) {{
    int64_t row = c / nb, b0 = (c - row * nb) * TR_B;
    int64_t len = m - b0 < TR_B ? m - b0 : TR_B;
{gathers}
    {out_t} *ow = out + tr_offset(q - 1, n, s, row) + (q ? b0 * s[q - 1] : 0);
    {out_t} ob[TR_B];
    int contiguous = !q || s[q - 1] == 1;
    {out_t} *restrict o = contiguous ? ow : ob;
    int bad = 0;
    #pragma omp simd reduction(|:bad)
    for (int64_t i = 0; i < len; i++) {{
            {body_text}{check}
    }}
    if (!contiguous) for (int64_t i = 0; i < len; i++) ow[i * s[q - 1]] = ob[i];
    return bad;
}}

static int {name}(const int64_t *n0, {out_t} *out{call_params}, int nt) {{
    int64_t n[{r}], s[{r * (k + 1)}];
    for (int d = 0; d < {rank}; d++) n[d] = n0[d];
    tr_contig({rank}, n, s);
{copy_strides}    if (tr_prod({rank}, n) == 0) return TR_OK;
    int q = tr_collapse({rank}, n, {k + 1}, s);
    int64_t m = q ? n[q - 1] : 1, rows = q ? tr_prod(q - 1, n) : 1;
    int64_t nb = (m + TR_B - 1) / TR_B;
    int bad = 0;
    if (nt > 1 && rows * m >= TR_PAR) {{
        #pragma omp parallel for num_threads(nt) schedule(static) reduction(|:bad)
        for (int64_t c = 0; c < rows * nb; c++) bad |= {name}_blk(c, nb, m, q, n, s, out{args});
    }} else {{
        for (int64_t c = 0; c < rows * nb; c++) bad |= {name}_blk(c, nb, m, q, n, s, out{args});
    }}
    return bad ? TR_ENEGPOW : TR_OK;
}}
"""
