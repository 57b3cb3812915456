"""C support for gather/scatter (bounds-checked index plans) and dot_general (BLAS plans).

An index plan turns the index arrays into element offsets once, checking every
index against its axis first (numpy's IndexError, never an out-of-bounds read).
A dot plan lists batch/row/contraction/column offsets and decides whether each
operand can be handed to gemm as is (transposes become BLAS flags) or must be
packed into a contiguous buffer first.
"""
from __future__ import annotations

_PLANS = r"""
static int64_t *tr_offsets_new(int r, const int64_t *n, const int64_t *s) {
    int64_t *out = (int64_t *)malloc((size_t)(tr_prod(r, n) > 0 ? tr_prod(r, n) : 1) * sizeof(int64_t));
    if (out) tr_offsets(r, n, s, out);
    return out;
}

typedef struct {
    int64_t npre, ni, npost;
    int64_t *xpre, *xidx, *xpost, *upre, *uidx, *upost;
} tr_gather_plan;

static void tr_free_plan(tr_gather_plan *p) {
    free(p->xpre); free(p->xidx); free(p->xpost); free(p->upre); free(p->uidx); free(p->upost);
}

/* x dims [0,axis) then k indexed dims then the rest; index arrays of rank q, shape in_.
   u (updates, or NULL) has dims [0,axis), q index dims, the rest. */
static int tr_plan_gather(tr_gather_plan *p, int r, const int64_t *n, const int64_t *xs,
                          int axis, int k, int q, const int64_t *in_,
                          const int64_t *const *idx, const int64_t *const *is,
                          const int64_t *us, int64_t *E) {
    memset(p, 0, sizeof(*p));
    int post = r - axis - k;
    p->npre = tr_prod(axis, n);
    p->ni = tr_prod(q, in_);
    p->npost = tr_prod(post, n + axis + k);
    p->xidx = (int64_t *)malloc((size_t)(p->ni > 0 ? p->ni : 1) * sizeof(int64_t));
    if (!p->xidx) return TR_ENOMEM;
    for (int64_t i = 0; i < p->ni; i++) {
        int64_t off = 0;
        for (int j = 0; j < k; j++) {
            int64_t v = idx[j][tr_offset(q, in_, is[j], i)], size = n[axis + j];
            int64_t w = v < 0 ? v + size : v;
            if (w < 0 || w >= size) {
                E[0] = 1; E[1] = v; E[2] = axis + j; E[3] = size;
                tr_free_plan(p);
                return TR_EINDEX;
            }
            off += w * xs[axis + j];
        }
        p->xidx[i] = off;
    }
    p->xpre = tr_offsets_new(axis, n, xs);
    p->xpost = tr_offsets_new(post, n + axis + k, xs + axis + k);
    if (!p->xpre || !p->xpost) { tr_free_plan(p); return TR_ENOMEM; }
    if (us) {
        p->upre = tr_offsets_new(axis, n, us);
        p->uidx = tr_offsets_new(q, in_, us + axis);
        p->upost = tr_offsets_new(post, n + axis + k, us + axis + q);
        if (!p->upre || !p->uidx || !p->upost) { tr_free_plan(p); return TR_ENOMEM; }
    }
    return TR_OK;
}

/* out (contiguous, [pre][index][post]) = x[..., idx0, ..., idxk-1, ...] */
static int tr_gather(int r, const int64_t *n, const char *x, const int64_t *xs, int axis,
                     int k, int q, const int64_t *in_, const int64_t *const *idx,
                     const int64_t *const *is, char *o, int isz, int64_t *E) {
    tr_gather_plan p;
    int rc = tr_plan_gather(&p, r, n, xs, axis, k, q, in_, idx, is, 0, E);
    if (rc) return rc;
    int64_t w = 0;
    for (int64_t a = 0; a < p.npre; a++)
        for (int64_t i = 0; i < p.ni; i++) {
            int64_t base = p.xpre[a] + p.xidx[i];
            for (int64_t b = 0; b < p.npost; b++, w++) {
                int64_t at = base + p.xpost[b];
                switch (isz) {
                case 1: ((uint8_t *)o)[w] = ((const uint8_t *)x)[at]; break;
                case 2: ((uint16_t *)o)[w] = ((const uint16_t *)x)[at]; break;
                case 4: ((uint32_t *)o)[w] = ((const uint32_t *)x)[at]; break;
                default: ((uint64_t *)o)[w] = ((const uint64_t *)x)[at]; break;
                }
            }
        }
    tr_free_plan(&p);
    return TR_OK;
}

typedef struct {
    int64_t nb, M, K, N;
    int64_t *abat, *bbat, *moff, *akoff, *bkoff, *noff;
    int use_blas, a_view, b_view;
    int64_t sAm, sAk, sBk, sBn;
} tr_dot_plan;

static void tr_free_dot(tr_dot_plan *p) {
    free(p->abat); free(p->bbat); free(p->moff); free(p->akoff); free(p->bkoff); free(p->noff);
}

/* The single stride of dims (n, s) walked in C order, or 0 when they need several. */
static int tr_one_stride(int r, const int64_t *n0, const int64_t *s0, int64_t *stride) {
    int64_t n[64], s[64];
    for (int d = 0; d < r; d++) { n[d] = n0[d]; s[d] = s0[d]; }
    int q = tr_collapse(r, n, 1, s);
    if (q > 1) return 0;
    *stride = q ? s[0] : 1;
    return 1;
}

/* ax = [nb, lb.., rb.., nc, lc.., rc.., nlf, lfree.., nrf, rfree..] */
static int tr_plan_dot(tr_dot_plan *p, int rl, const int64_t *ln, const int64_t *as,
                       int rr, const int64_t *rn, const int64_t *bs, const int64_t *ax,
                       int blas_type) {
    int64_t bn[64], bas[64], bbs[64], mn[64], ms[64], kn[64], kas[64], kbs[64], nn[64], nbs[64];
    memset(p, 0, sizeof(*p));
    int nbd = (int)ax[0];
    for (int i = 0; i < nbd; i++) {
        bn[i] = ln[ax[1 + i]]; bas[i] = as[ax[1 + i]]; bbs[i] = bs[ax[1 + nbd + i]];
    }
    const int64_t *c = ax + 1 + 2 * nbd;
    int nc = (int)c[0];
    for (int i = 0; i < nc; i++) { kn[i] = ln[c[1 + i]]; kas[i] = as[c[1 + i]]; kbs[i] = bs[c[1 + nc + i]]; }
    const int64_t *f = c + 1 + 2 * nc;
    int nm = (int)f[0];
    for (int i = 0; i < nm; i++) { mn[i] = ln[f[1 + i]]; ms[i] = as[f[1 + i]]; }
    const int64_t *g = f + 1 + nm;
    int nn_ = (int)g[0];
    for (int i = 0; i < nn_; i++) { nn[i] = rn[g[1 + i]]; nbs[i] = bs[g[1 + i]]; }
    (void)rl; (void)rr;
    p->nb = tr_prod(nbd, bn); p->M = tr_prod(nm, mn); p->K = tr_prod(nc, kn); p->N = tr_prod(nn_, nn);
    p->abat = tr_offsets_new(nbd, bn, bas); p->bbat = tr_offsets_new(nbd, bn, bbs);
    p->moff = tr_offsets_new(nm, mn, ms); p->noff = tr_offsets_new(nn_, nn, nbs);
    p->akoff = tr_offsets_new(nc, kn, kas); p->bkoff = tr_offsets_new(nc, kn, kbs);
    if (!p->abat || !p->bbat || !p->moff || !p->noff || !p->akoff || !p->bkoff) {
        tr_free_dot(p);
        return TR_ENOMEM;
    }
    p->use_blas = blas_type && p->M * p->N * p->K >= 512 && p->M < INT32_MAX
                  && p->N < INT32_MAX && p->K < INT32_MAX;
    p->a_view = tr_one_stride(nm, mn, ms, &p->sAm) && tr_one_stride(nc, kn, kas, &p->sAk);
    p->b_view = tr_one_stride(nc, kn, kbs, &p->sBk) && tr_one_stride(nn_, nn, nbs, &p->sBn);
    return TR_OK;
}

/* Fortran layout of the R x C matrix with element (i, j) at i*sr + j*sc: op and ld. */
static int tr_layout(int64_t R, int64_t C, int64_t sr, int64_t sc, char *op, int *ld) {
    int rany = R <= 1, cany = C <= 1;
    int64_t mr = R > 1 ? R : 1, mc = C > 1 ? C : 1, l;
    if ((rany || sr == 1) && (cany || sc >= mr)) { *op = 'N'; l = cany ? mr : sc; }
    else if ((cany || sc == 1) && (rany || sr >= mc)) { *op = 'T'; l = rany ? mc : sr; }
    else return 0;
    if (l > INT32_MAX) return 0;
    *ld = (int)l;
    return 1;
}
"""

_GEMM = r"""
/* One product over our OpenMP threads, each a single-threaded BLAS call on a band of C:
   rows of C when it is taller than wide, else columns. Bands are whole, so every element
   is computed by one call, as in the serial product. */
static void tr_gemm_split_TAG(char opx, char opy, int64_t M, int64_t N, int64_t K, @T@ alpha,
                              const @T@ *B, int ldx, int64_t sBn, const @T@ *A, int ldy,
                              int64_t sAm, @T@ beta, @T@ *C) {
    int nt = tr_nt_now, ldc = (int)N, k_ = (int)K;
    int64_t along = M >= N ? M : N;
    #pragma omp parallel for num_threads(nt) schedule(static)
    for (int t = 0; t < nt; t++) {
        int64_t lo = along * t / nt, hi = along * (t + 1) / nt;
        if (hi <= lo) continue;
        int prev = tr_blas_serial();
        char ox = opx, oy = opy;
        @T@ al = alpha, be = beta;
        if (M >= N) {        /* rows lo..hi of C: rows of A */
            int m_ = (int)N, n_ = (int)(hi - lo);
            GEMM(&ox, &oy, &m_, &n_, &k_, &al, (@T@ *)B, &ldx, (@T@ *)(A + lo * sAm), &ldy,
                 &be, C + lo * N, &ldc);
        } else {             /* columns lo..hi of C: columns of B */
            int m_ = (int)(hi - lo), n_ = (int)M;
            GEMM(&ox, &oy, &m_, &n_, &k_, &al, (@T@ *)(B + lo * sBn), &ldx, (@T@ *)A, &ldy,
                 &be, C + lo, &ldc);
        }
        tr_blas_restore(prev);
    }
}

/* C[M,N] (row-major) = alpha A[M,K] B[K,N] + beta C is, in Fortran's column-major terms,
   C^T = alpha B^T A^T + beta C^T. beta is 0 (C is write-only) or 1 (accumulate into C). */
static int tr_gemm_TAG(tr_dot_plan *p, const @T@ *a, const @T@ *b, @T@ *o, @T@ alpha, @T@ beta) {
    int64_t M = p->M, N = p->N, K = p->K;
    @T@ *pa = 0, *pb = 0;
    int64_t sAm = p->sAm, sAk = p->sAk, sBk = p->sBk, sBn = p->sBn;
    char opx, opy;
    int ldx, ldy;
    if (!p->a_view || !tr_layout(K, M, sAk, sAm, &opy, &ldy)) {
        pa = (@T@ *)malloc((size_t)(M * K) * sizeof(@T@));
        if (!pa) return TR_ENOMEM;
        sAm = K; sAk = 1;
        tr_layout(K, M, sAk, sAm, &opy, &ldy);
    }
    if (!p->b_view || !tr_layout(N, K, sBn, sBk, &opx, &ldx)) {
        pb = (@T@ *)malloc((size_t)(K * N) * sizeof(@T@));
        if (!pb) { free(pa); return TR_ENOMEM; }
        sBk = N; sBn = 1;
        tr_layout(N, K, sBn, sBk, &opx, &ldx);
    }
    int m_ = (int)N, n_ = (int)M, k_ = (int)K, ldc = (int)(N > 0 ? N : 1), inc = 1, vinc;
    /* a matrix-vector product: gemv reads the matrix once instead of packing it */
    int64_t vs = M == 1 ? (K > 1 ? sAk : 1) : (K > 1 ? sBk : 1);
    int gemv = (M == 1 || N == 1) && vs >= 1 && vs <= INT32_MAX;
    vinc = (int)vs;
    int blas_threads = tr_blas_serial();
    for (int64_t z = 0; z < p->nb; z++) {
        const @T@ *A = a + p->abat[z], *B = b + p->bbat[z];
        @T@ *C = o + z * M * N;
        if (pa) { for (int64_t m = 0; m < M; m++) for (int64_t k = 0; k < K; k++) pa[m * K + k] = A[p->moff[m] + p->akoff[k]]; A = pa; }
        if (pb) { for (int64_t k = 0; k < K; k++) for (int64_t j = 0; j < N; j++) pb[k * N + j] = B[p->bkoff[k] + p->noff[j]]; B = pb; }
        if (gemv && M == 1) {           /* C[n] = sum_k X[n, k] a[k] */
            char t = opx; int r = opx == 'N' ? m_ : k_, c = opx == 'N' ? k_ : m_;
            GEMV(&t, &r, &c, &alpha, (@T@ *)B, &ldx, (@T@ *)A, &vinc, &beta, C, &inc);
        } else if (gemv) {              /* C[m] = sum_k A[m, k] b[k], A^T stored as Y */
            char t = opy == 'N' ? 'T' : 'N'; int r = opy == 'N' ? k_ : n_, c = opy == 'N' ? n_ : k_;
            GEMV(&t, &r, &c, &alpha, (@T@ *)A, &ldy, (@T@ *)B, &vinc, &beta, C, &inc);
        } else if (tr_nt_now > 1 && M * N * K >= TR_PRODUCT_PAR) {
            tr_gemm_split_TAG(opx, opy, M, N, K, alpha, B, ldx, sBn, A, ldy, sAm, beta, C);
        } else {
            GEMM(&opx, &opy, &m_, &n_, &k_, &alpha, (@T@ *)B, &ldx, (@T@ *)A, &ldy, &beta, C, &ldc);
        }
    }
    tr_blas_restore(blas_threads);
    free(pa); free(pb);
    return TR_OK;
}
"""

PRODUCT_PAR = 1 << 20      # M*N*K from which products use our threads (render_module.py too)
_PRODUCT_PAR = f"#define TR_PRODUCT_PAR {PRODUCT_PAR}  /* M*N*K from which products use our threads */\n"

PRELUDE_INDEX = _PRODUCT_PAR + _PLANS + "".join(
    _GEMM.replace("TAG", tag).replace("GEMM", gemm).replace("GEMV", gemv).replace("@T@", t)
    for tag, t, gemm, gemv in (("f64", "double", "tr_dgemm_call", "tr_dgemv_call"),
                               ("f32", "float", "tr_sgemm_call", "tr_sgemv_call")))
