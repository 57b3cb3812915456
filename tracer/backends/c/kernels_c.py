"""Typed C kernels for the non-elementwise ops, generated per dtype on demand.

Every kernel takes sizes and strides (in elements) at run time and writes a
C-contiguous output; none of them embeds a size, so one module serves every
shape of the same ranks and dtypes. Reductions use a fixed chunking
(TR_CHUNK) so their result never depends on the number of threads.
"""
from __future__ import annotations

import numpy as np

from ...ir import Op
from .cnames import accumulator, ctype, tag


def _limits(dtype: np.dtype) -> tuple[str, str]:
    """(lowest, highest) C constants of dtype."""
    if dtype.kind == "f":
        return "(-INFINITY)", "INFINITY"
    if dtype.kind == "b":
        return "0", "1"
    bits = dtype.itemsize * 8
    if dtype.kind == "u":
        return "0", f"UINT{bits}_MAX"
    return f"INT{bits}_MIN", f"INT{bits}_MAX"


def combine(op: Op, dtype: np.dtype) -> tuple[str, str]:
    """(identity, C expression of acc ⊕ v) of a reduction op, numpy's semantics."""
    t = ctype(dtype)
    lo, hi = _limits(dtype)
    u = "uint64_t" if dtype.itemsize == 8 else "uint32_t"
    if dtype.kind == "b":
        return {Op.REDUCE_SUM: ("0", "(acc | v)"), Op.REDUCE_PROD: ("1", "(acc & v)"),
                Op.REDUCE_MAX: ("0", "(acc | v)"), Op.REDUCE_MIN: ("1", "(acc & v)")}[op]
    if dtype.kind == "f":
        return {Op.REDUCE_SUM: ("0", "(acc + v)"), Op.REDUCE_PROD: ("1", "(acc * v)"),
                Op.REDUCE_MAX: (lo, "((v > acc || v != v) ? v : acc)"),
                Op.REDUCE_MIN: (hi, "((v < acc || v != v) ? v : acc)")}[op]
    return {Op.REDUCE_SUM: ("0", f"({t})(({u})acc + ({u})v)"),
            Op.REDUCE_PROD: ("1", f"({t})(({u})acc * ({u})v)"),
            Op.REDUCE_MAX: (lo, "(v > acc ? v : acc)"),
            Op.REDUCE_MIN: (hi, "(v < acc ? v : acc)")}[op]


_RED_NAMES = {Op.REDUCE_SUM: "sum", Op.REDUCE_PROD: "prod", Op.REDUCE_MAX: "max",
              Op.REDUCE_MIN: "min"}


def _line(name: str, t: str, ident: str, comb: str, pairwise: bool, a: str) -> str:
    """acc (of C type a) over x[0], x[s], ..., x[(n-1)s]; numpy's pairwise float sums."""
    if not pairwise:
        return f"""static {a} {name}_line(const {t} *x, int64_t n, int64_t s) {{
    {a} acc = {ident};
    for (int64_t i = 0; i < n; i++) {{ {a} v = x[i * s]; acc = {comb}; }}
    return acc;
}}
"""
    return f"""static {a} {name}_line(const {t} *x, int64_t n, int64_t s) {{
    if (n < 8) {{
        {a} res = 0;
        for (int64_t i = 0; i < n; i++) res += x[i * s];
        return res;
    }}
    if (n <= 128) {{
        {a} r[8], res;
        for (int j = 0; j < 8; j++) r[j] = x[j * s];
        int64_t i;
        if (s == 1)             /* contiguous: the 8 accumulators become vector lanes */
            for (i = 8; i < n - (n % 8); i += 8)
                for (int j = 0; j < 8; j++) r[j] += x[i + j];
        else
            for (i = 8; i < n - (n % 8); i += 8)
                for (int j = 0; j < 8; j++) r[j] += x[(i + j) * s];
        res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++) res += x[i * s];
        return res;
    }}
    int64_t n2 = n / 2;
    n2 -= n2 % 8;
    return {name}_line(x, n2, s) + {name}_line(x + n2 * s, n - n2, s);
}}
"""


def cascade(name: str, a: str, ident: str, comb: str, pairwise: bool = True) -> str:
    """`name_push(st, &top, n, v)` and `name_total(st, top)`: combine a sequence of
    partials pairwise, as a binary counter (the n-th push merges while n's low bits are
    1), so a long sum of chunk sums keeps the pairwise sum's O(eps log n) error. Other
    reductions (`pairwise` false) combine in order, as numpy's running product does: a
    product's partials overflow and underflow as numpy's (inf * tiny * tiny is inf, not
    inf * 0 = NaN)."""
    if not pairwise:
        return f"""static inline void {name}_push({a} *st, int *top, int64_t n, {a} v) {{
    (void)n;
    if (*top) {{ {a} acc = st[0]; v = {comb}; }}
    st[0] = v; *top = 1;
}}
static inline {a} {name}_total(const {a} *st, int top) {{
    return top ? st[0] : {ident};
}}
"""
    return f"""static inline void {name}_push({a} *st, int *top, int64_t n, {a} v) {{
    for (int64_t k = n; k & 1; k >>= 1) {{ {a} acc = st[--*top]; v = {comb}; }}
    st[(*top)++] = v;
}}
static inline {a} {name}_total(const {a} *st, int top) {{
    if (!top) return {ident};
    {a} v = st[top - 1];
    for (int k = top - 2; k >= 0; k--) {{ {a} acc = st[k]; v = {comb}; }}
    return v;
}}
"""


def par_for(loop: str, body: str) -> str:
    """C of `loop { body }` over OpenMP threads when `par` holds, else plain: an
    `omp parallel if(0)` still enters libgomp, which costs a futex syscall per region."""
    return (f"    if (par) {{\n        #pragma omp parallel for num_threads(nt) schedule(static)\n"
            f"        {loop} {{\n{body}\n        }}\n    }} else {{\n"
            f"        {loop} {{\n{body}\n        }}\n    }}\n")


def reduce_kernel(op: Op, dtype: np.dtype) -> tuple[str, str]:
    """(name, C) of `int name(r, n, x, xs, mask, out, nt)` reducing the masked axes."""
    t = ctype(dtype)
    name = f"red_{_RED_NAMES[op]}_{tag(dtype)}"
    ident, comb = combine(op, dtype)
    a = accumulator(dtype)
    line = _line(name, t, ident, comb, op is Op.REDUCE_SUM and dtype.kind == "f", a) + \
        cascade(name, a, ident, comb, op is Op.REDUCE_SUM)
    slab = f"""            int64_t row = c / nb, b0 = (c % nb) * TR_B;
            int64_t len = m - b0 < TR_B ? m - b0 : TR_B;
            const {t} *xr = x + tr_offset(kr - 1, kn, ks, row) + b0 * ms;
            {t} *orow = o + row * m + b0;
            for (int64_t i = 0; i < len; i++) orow[i] = {ident};
            for (int64_t q = 0; q < nred; q++) {{
                const {t} *xq = xr + roff[q];
                if (ms == 1) {{         /* contiguous rows: a vectorizable loop */
                    #pragma omp simd
                    for (int64_t i = 0; i < len; i++) {{ {t} acc = orow[i], v = xq[i]; orow[i] = {comb}; }}
                }} else {{
                    for (int64_t i = 0; i < len; i++) {{ {t} acc = orow[i], v = xq[i * ms]; orow[i] = {comb}; }}
                }}
            }}"""
    rows_body = f"""            const {t} *xo = x + tr_offset(kr, kn, ks, i);
            {a} st[64];
            int top = 0;
            for (int64_t q = 0, pc = 0; q < nq; q++) {{
                const {t} *xq = xo + (rr ? tr_offset(rr - 1, rn, rs, q) : 0);
                for (int64_t c = 0; c < nc; c++, pc++) {{
                    int64_t len = L - c * TR_CHUNK < TR_CHUNK ? L - c * TR_CHUNK : TR_CHUNK;
                    {name}_push(st, &top, pc, {name}_line(xq + c * TR_CHUNK * ls, len, ls));
                }}
            }}
            o[i] = {name}_total(st, top);"""
    return name, line + f"""
/* Kept dims outer, reduced dims inner; or, when a kept dim is the fastest, add slabs. */
static int {name}(int r, const int64_t *n, const {t} *x, const int64_t *xs,
                  const int64_t *mask, {t} *o, int nt) {{
    int64_t kn[64], ks[64], rn[64], rs[64];
    int kr = 0, rr = 0;
    for (int d = 0; d < r; d++) {{
        if (mask[d]) {{ rn[rr] = n[d]; rs[rr] = xs[d]; rr++; }}
        else {{ kn[kr] = n[d]; ks[kr] = xs[d]; kr++; }}
    }}
    int64_t nout = tr_prod(kr, kn), nred = tr_prod(rr, rn);
    if (nout == 0) return TR_OK;
    if (nred == 0) {{ for (int64_t i = 0; i < nout; i++) o[i] = {ident}; return TR_OK; }}
    kr = tr_collapse(kr, kn, 1, ks);
    rr = tr_collapse(rr, rn, 1, rs);
    int par = nt > 1 && nout * nred >= TR_PAR;
    if (kr > 0 && rr > 0 && llabs(ks[kr - 1]) < llabs(rs[rr - 1])) {{
        /* slab order: out[row, i] ⊕= x[row, q, i] for q in order; parallel over (row, block) */
        int64_t m = kn[kr - 1], ms = ks[kr - 1], rows = tr_prod(kr - 1, kn);
        int64_t *roff = (int64_t *)malloc((size_t)nred * sizeof(int64_t));
        if (!roff) return TR_ENOMEM;
        tr_offsets(rr, rn, rs, roff);
        int64_t nb = (m + TR_B - 1) / TR_B;
{par_for("for (int64_t c = 0; c < rows * nb; c++)", slab)}        free(roff);
        return TR_OK;
    }}
    int64_t L = rr ? rn[rr - 1] : 1, ls = rr ? rs[rr - 1] : 0;
    int64_t nq = rr ? tr_prod(rr - 1, rn) : 1, nc = (L + TR_CHUNK - 1) / TR_CHUNK;
    if (!par || nout >= 4 * nt || nq * nc < 2) {{
{par_for("for (int64_t i = 0; i < nout; i++)", rows_body)}        return TR_OK;
    }}
    /* few long reductions: the same chunks, computed in parallel, combined in order */
    {a} *part = ({a} *)malloc((size_t)(nq * nc) * sizeof({a}));
    if (!part) return TR_ENOMEM;
    for (int64_t i = 0; i < nout; i++) {{
        const {t} *xo = x + tr_offset(kr, kn, ks, i);
        #pragma omp parallel for num_threads(nt) schedule(static)
        for (int64_t p = 0; p < nq * nc; p++) {{
            int64_t q = p / nc, c = p % nc;
            int64_t len = L - c * TR_CHUNK < TR_CHUNK ? L - c * TR_CHUNK : TR_CHUNK;
            part[p] = {name}_line(xo + (rr ? tr_offset(rr - 1, rn, rs, q) : 0) + c * TR_CHUNK * ls, len, ls);
        }}
        {a} st[64];
        int top = 0;
        for (int64_t p = 0; p < nq * nc; p++) {name}_push(st, &top, p, part[p]);
        o[i] = {name}_total(st, top);
    }}
    free(part);
    return TR_OK;
}}
"""


def arg_kernel(op: Op, dtype: np.dtype) -> tuple[str, str]:
    """(name, C) of argmax/argmin along one axis: first occurrence, the first NaN wins."""
    t = ctype(dtype)
    name = f"{op.value}_{tag(dtype)}"
    better = ">" if op is Op.ARGMAX else "<"
    nan_start = "if (!isnan((double)best))" if dtype.kind == "f" else ""
    nan_step = "else if (isnan((double)v)) { bi = j; break; }" if dtype.kind == "f" else ""
    body = f"""        const {t} *p = x + tr_offset(q, on, os, i);
        {t} best = p[0];
        int64_t bi = 0;
        {nan_start}
        for (int64_t j = 1; j < L; j++) {{
            {t} v = p[j * ls];
            if (v {better} best) {{ best = v; bi = j; }}
            {nan_step}
        }}
        o[i] = bi;"""
    return name, f"""static int {name}(int r, const int64_t *n, const {t} *x, const int64_t *xs,
                 int axis, int64_t *o, int nt) {{
    int64_t on[64], os[64];
    int q = 0;
    for (int d = 0; d < r; d++) if (d != axis) {{ on[q] = n[d]; os[q] = xs[d]; q++; }}
    int64_t nout = tr_prod(q, on), L = n[axis], ls = xs[axis];
    int par = nt > 1 && nout * L >= TR_PAR;
{par_for("for (int64_t i = 0; i < nout; i++)", body)}    return TR_OK;
}}
"""


def cum_kernel(op: Op, dtype: np.dtype) -> tuple[str, str]:
    """(name, C) of cumsum/cumprod along one axis into a contiguous output."""
    t = ctype(dtype)
    name = f"{op.value}_{tag(dtype)}"
    red = Op.REDUCE_SUM if op is Op.CUMSUM else Op.REDUCE_PROD
    _, comb = combine(red, dtype)
    body = f"""        const {t} *p = x + tr_offset(q, on, os, i);
        {t} *w = o + tr_offset(q, on, oos, i);
        {t} acc = p[0];
        w[0] = acc;
        for (int64_t j = 1; j < L; j++) {{ {t} v = p[j * ls]; acc = {comb}; w[j * lo] = acc; }}"""
    return name, f"""static int {name}(int r, const int64_t *n, const {t} *x, const int64_t *xs,
                 int axis, {t} *o, int nt) {{
    int64_t on[64], os[64], cs[64], oos[64];
    tr_contig(r, n, cs);
    int q = 0;
    for (int d = 0; d < r; d++) if (d != axis) {{ on[q] = n[d]; os[q] = xs[d]; oos[q] = cs[d]; q++; }}
    int64_t nout = tr_prod(q, on), L = n[axis], ls = xs[axis], lo = cs[axis];
    if (L == 0) return TR_OK;
    int par = nt > 1 && nout * L >= TR_PAR;
{par_for("for (int64_t i = 0; i < nout; i++)", body)}    return TR_OK;
}}
"""


# each scatter's combine is its reduction's (numpy's ufunc.at loop); SET replaces
_SCATTER_REDUCTION = {Op.SCATTER_ADD: Op.REDUCE_SUM, Op.SCATTER_MUL: Op.REDUCE_PROD,
                      Op.SCATTER_MAX: Op.REDUCE_MAX, Op.SCATTER_MIN: Op.REDUCE_MIN}


def scatter_kernel(op: Op, dtype: np.dtype) -> tuple[str, str]:
    """(name, C) of a scatter: out = copy of x, then each update in C order is combined
    into out[..., idx, ...] (serially: a later update to a position sees the earlier)."""
    t = ctype(dtype)
    name = f"{op.value}_{tag(dtype)}"
    comb = "v" if op is Op.SCATTER_SET else combine(_SCATTER_REDUCTION[op], dtype)[1]
    return name, f"""static int {name}(int r, const int64_t *n, const {t} *x, const int64_t *xs,
                 int axis, int k, int q, const int64_t *in_, const int64_t *const *idx,
                 const int64_t *const *is, const {t} *u, const int64_t *us, {t} *o,
                 int64_t *E) {{
    int64_t cs[64];
    tr_contig(r, n, cs);
    tr_copy(r, n, (char *)o, cs, (const char *)x, xs, sizeof({t}));
    tr_gather_plan plan;
    int rc = tr_plan_gather(&plan, r, n, cs, axis, k, q, in_, idx, is, us, E);
    if (rc) return rc;
    for (int64_t a = 0; a < plan.npre; a++)
        for (int64_t i = 0; i < plan.ni; i++)
            for (int64_t b = 0; b < plan.npost; b++) {{
                {t} *w = o + plan.xpre[a] + plan.xidx[i] + plan.xpost[b];
                {t} acc = *w, v = u[plan.upre[a] + plan.uidx[i] + plan.upost[b]];
                (void)acc;
                *w = {comb};
            }}
    tr_free_plan(&plan);
    return TR_OK;
}}
"""


def _mac(dtype: np.dtype) -> str:
    """C statement acc += a_ * b_ with numpy's semantics for dtype."""
    t = ctype(dtype)
    if dtype == np.float16:      # numpy's half matmul: a float sum per element, rounded once
        return "acc += (float)a_ * (float)b_;"
    if dtype.kind == "b":
        return "acc |= (a_ & b_);"
    if dtype.kind == "f":
        return "acc += a_ * b_;"
    u = "uint64_t" if dtype.itemsize == 8 else "uint32_t"
    return f"acc = ({t})(({u})acc + ({u})a_ * ({u})b_);"


def _dot_body(dtype: np.dtype, accumulate: bool) -> str:
    """The body shared by dot and gemm_acc: plan, BLAS when it applies, else a loop.
    With `accumulate`, o already holds c and gets o + alpha * a @ b (BLAS beta = 1)."""
    t = ctype(dtype)
    gemm = {"f64": "tr_dgemm", "f32": "tr_sgemm"}.get(tag(dtype))
    ab = "alpha, 1" if accumulate else "1, 0"
    blas = f"if (p.use_blas && {gemm}) {{ rc = tr_gemm_{tag(dtype)}(&p, a, b, o, {ab}); tr_free_dot(&p); return rc; }}" \
        if gemm else ""
    store = f"row[j] = row[j] + alpha * ({t})acc;" if accumulate else "row[j] = acc;"
    return f"""    tr_dot_plan p;
    int rc = tr_plan_dot(&p, rl, ln, as, rr, rn, bs, ax, {1 if gemm else 0});
    if (rc) return rc;
    {blas}
    for (int64_t z = 0; z < p.nb; z++)
        for (int64_t m = 0; m < p.M; m++) {{
            {t} *row = o + (z * p.M + m) * p.N;
            for (int64_t j = 0; j < p.N; j++) {{
                {accumulator(dtype)} acc = 0;
                for (int64_t kk = 0; kk < p.K; kk++) {{
                    {t} a_ = a[p.abat[z] + p.moff[m] + p.akoff[kk]], b_ = b[p.bbat[z] + p.bkoff[kk] + p.noff[j]];
                    {_mac(dtype)}
                }}
                {store}
            }}
        }}
    tr_free_dot(&p);
    return TR_OK;
"""


def dot_kernel(dtype: np.dtype) -> tuple[str, str]:
    """(name, C) of dot_general: BLAS gemm per batch for floats, a loop otherwise."""
    t = ctype(dtype)
    name = f"dot_{tag(dtype)}"
    return name, f"""static int {name}(int rl, const int64_t *ln, const {t} *a, const int64_t *as,
                 int rr, const int64_t *rn, const {t} *b, const int64_t *bs,
                 const int64_t *ax, {t} *o) {{
{_dot_body(dtype, False)}}}
"""


def _outer(name: str, t: str) -> str:
    """C of the K = 1 case of gemm_acc (the SGD weight update at batch 1): one pass
    o = c + alpha * (a_m * b_n) over contiguous c, instead of a copy then a gemm."""
    return f"""#define TR_NOT_OUTER (-1000)
static int {name}_outer(const {t} *c, {t} alpha, int rl, const int64_t *ln, const {t} *a,
                        const int64_t *as, int rr, const int64_t *rn, const {t} *b,
                        const int64_t *bs, const int64_t *ax, {t} *o) {{
    tr_dot_plan p;
    int rc = tr_plan_dot(&p, rl, ln, as, rr, rn, bs, ax, 0);
    if (rc) return rc;
    if (p.K != 1 || p.nb != 1) {{ tr_free_dot(&p); return TR_NOT_OUTER; }}
    const {t} *bk = b + p.bbat[0] + p.bkoff[0];
    for (int64_t m = 0; m < p.M; m++) {{
        {t} am = a[p.abat[0] + p.moff[m] + p.akoff[0]];
        const {t} *crow = c + m * p.N;
        {t} *orow = o + m * p.N;
        /* simd: o may be c itself (donated), which gcc's alias check would run scalar */
        if (p.b_view) {{
            int64_t sb = p.sBn;
            #pragma omp simd
            for (int64_t j = 0; j < p.N; j++) orow[j] = crow[j] + alpha * (am * bk[j * sb]);
        }} else {{
            #pragma omp simd
            for (int64_t j = 0; j < p.N; j++) orow[j] = crow[j] + alpha * (am * bk[p.noff[j]]);
        }}
    }}
    tr_free_dot(&p);
    return TR_OK;
}}
"""


def gemm_acc_kernel(dtype: np.dtype) -> tuple[str, str]:
    """(name, C) of gemm_acc: o = copy of c (any strides), then o += alpha * a @ b.
    o may be c itself (a donated input, contiguous): then nothing is copied."""
    t = ctype(dtype)
    name = f"gemm_acc_{tag(dtype)}"
    return name, _outer(name, t) + f"""static int {name}(int r, const int64_t *n, const {t} *c, const int64_t *cs,
                 const {t} *alpha_, int rl, const int64_t *ln, const {t} *a, const int64_t *as,
                 int rr, const int64_t *rn, const {t} *b, const int64_t *bs,
                 const int64_t *ax, {t} *o) {{
    int64_t os[64];
    {t} alpha = *alpha_;
    tr_contig(r, n, os);
    int flat = 1;
    for (int d = 0; d < r; d++) if (n[d] > 1 && cs[d] != os[d]) flat = 0;
    if (flat) {{
        int rc = {name}_outer(c, alpha, rl, ln, a, as, rr, rn, b, bs, ax, o);
        if (rc != TR_NOT_OUTER) return rc;
    }}
    if ((const void *)o != (const void *)c)   /* a donated c is already in place */
        tr_copy(r, n, (char *)o, os, (const char *)c, cs, sizeof({t}));
{_dot_body(dtype, True)}}}
"""


def dot_axes(node) -> list[int]:
    """The axis table of a dot plan: [nb, lb.., rb.., nc, lc.., rc.., nlf, lfree.., nrf, rfree..]."""
    x, y = node.inputs[-2:]
    (lc, rc), (lb, rb) = node.attrs["contract"], node.attrs["batch"]
    lfree = [d for d in range(x.ndim) if d not in lc and d not in lb]
    rfree = [d for d in range(y.ndim) if d not in rc and d not in rb]
    return [len(lb), *lb, *rb, len(lc), *lc, *rc, len(lfree), *lfree, len(rfree), *rfree]


def gemm_acc_call(renderer, node) -> str:
    """The entry function's call of gemm_acc for `node` (renderer: render_module's)."""
    c, alpha, x, y = node.inputs
    ax = renderer.table.add(dot_axes(node))
    name = renderer._kernel(gemm_acc_kernel(x.dtype))
    v, (uc, ua, a, b) = renderer.v(node), [renderer.v(i) for i in node.inputs]
    return (f"    rc = {name}({node.ndim}, {v}_n, {uc}, {uc}_s, {ua}, {x.ndim}, {a}_n, {a}, {a}_s, "
            f"{y.ndim}, {b}_n, {b}, {b}_s, S + {ax}, {v});\n    if (rc) goto done;")
