"""C text shared by every generated module: includes, SIMD math, layout helpers.

Nothing here depends on a graph: strides and sizes arrive at run time, so the
same helpers serve every shape. Strides are in elements, not bytes.
"""
from __future__ import annotations

# glibc's libmvec has SIMD versions of these; math.h declares them only under
# -ffast-math, which would break NaN/inf semantics, so we declare them ourselves
# and `#pragma omp simd` loops call the vector versions (_ZGVdN4v_exp, ...).
SIMD_MATH = (
    "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sin", "cos", "tan", "asin",
    "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "cbrt", "erf", "erfc",
)
SIMD_MATH2 = ("pow", "atan2", "hypot")


def _simd_decls() -> str:
    lines = []
    for name in SIMD_MATH:
        lines.append(f"TR_SIMD double {name}(double); TR_SIMD float {name}f(float);")
    for name in SIMD_MATH2:
        lines.append(f"TR_SIMD double {name}(double, double); "
                     f"TR_SIMD float {name}f(float, float);")
    return "\n".join(lines)


# Numbers the C text and the renderer (render_module.py) share: one definition here.
PAR_SIZE = 32768        # TR_PAR: a kernel over fewer elements never starts threads
ADAPT_SLOTS = 4         # TR_ADAPT_SLOTS: a table's first slots, for tr_threads_pick

PRELUDE = r"""
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define TR_SIMD __attribute__((simd("notinbranch")))
""" + _simd_decls() + r"""

#define TR_OK 0
#define TR_ENOMEM 1
#define TR_EINDEX 2
#define TR_ENEGPOW 3
#define TR_EALIGN 4           /* an input is not aligned to its element size */
#define TR_B 512              /* elements per block of a fused loop */
#define TR_PAR @PAR_SIZE@          /* fewer elements than this never start threads */
#define TR_CHUNK 8192         /* fixed reduction chunk: results independent of threads */

/* The BLAS routines (blas.py chooses the library). Fortran's gemm/gemv take every
   argument by pointer; with a 64-bit-integer (ILP64) build the integers are int64_t, so
   the tr_*_call wrappers widen them: generated code calls one signature either way. */
static void *tr_dgemm = 0, *tr_sgemm = 0, *tr_dgemv = 0, *tr_sgemv = 0;
static int tr_blas_ilp64 = 0;

#define TR_GEMM_CALL(NAME, T)                                                              \
static void NAME##_call(char *ta, char *tb, int *m, int *n, int *k, T *alpha, T *a, int *lda, \
                        T *b, int *ldb, T *beta, T *c, int *ldc) {                         \
    if (tr_blas_ilp64) {                                                                   \
        int64_t m_ = *m, n_ = *n, k_ = *k, la = *lda, lb = *ldb, lc = *ldc;                \
        ((void (*)(char *, char *, int64_t *, int64_t *, int64_t *, T *, T *, int64_t *,   \
                   T *, int64_t *, T *, T *, int64_t *))NAME)(ta, tb, &m_, &n_, &k_, alpha, \
                                                              a, &la, b, &lb, beta, c, &lc); \
    } else {                                                                               \
        ((void (*)(char *, char *, int *, int *, int *, T *, T *, int *, T *, int *, T *,  \
                   T *, int *))NAME)(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc); \
    }                                                                                      \
}
#define TR_GEMV_CALL(NAME, T)                                                              \
static void NAME##_call(char *t, int *m, int *n, T *alpha, T *a, int *lda, T *x, int *incx, \
                        T *beta, T *y, int *incy) {                                        \
    if (tr_blas_ilp64) {                                                                   \
        int64_t m_ = *m, n_ = *n, la = *lda, ix = *incx, iy = *incy;                       \
        ((void (*)(char *, int64_t *, int64_t *, T *, T *, int64_t *, T *, int64_t *, T *, \
                   T *, int64_t *))NAME)(t, &m_, &n_, alpha, a, &la, x, &ix, beta, y, &iy); \
    } else {                                                                               \
        ((void (*)(char *, int *, int *, T *, T *, int *, T *, int *, T *, T *,            \
                   int *))NAME)(t, m, n, alpha, a, lda, x, incx, beta, y, incy);           \
    }                                                                                      \
}
TR_GEMM_CALL(tr_dgemm, double)
TR_GEMM_CALL(tr_sgemm, float)
TR_GEMV_CALL(tr_dgemv, double)
TR_GEMV_CALL(tr_sgemv, float)

/* OpenBLAS's own thread pool spins after each call and fights our OpenMP pool for the
   cores (2 threads ran an MLP step 25x slower than 1). So BLAS runs on the calling thread
   (openblas_set_num_threads_local(1), where that exists) and large products are split
   over our own OpenMP threads; tr_nt_now is the thread count of the running call. */
typedef int (*tr_blas_threads_t)(int);
static tr_blas_threads_t tr_blas_threads_local = 0;
static int tr_nt_now = 1;

static int tr_blas_serial(void) { return tr_blas_threads_local ? tr_blas_threads_local(1) : 0; }
static void tr_blas_restore(int prev) { if (tr_blas_threads_local) tr_blas_threads_local(prev); }

/* Threads on a shared machine. While other processes keep the cores busy, a parallel
   region waits at its barrier for a thread the OS has descheduled, and a call on 2
   threads can take twice as long as on 1. So each executable times its calls with the
   threads it may use and with one thread, keeps a moving average of each in the first
   TR_ADAPT_SLOTS slots of its table S ([0] the calls so far, [1] [2] the serial and the
   parallel average in seconds, as doubles), runs the faster, and now and then tries the
   other: every 16th call while the two are within 25% of each other, every 64th while
   within 2x, every 256th beyond (a quiet machine pays about 1/256 of the difference).
   A tried arm's average drops to that one call's time when it was faster, so a machine
   that became quiet is seen after one try. A call counts at most twice its arm's
   average: one preempted call (a 4 ms time slice) does not switch arms, while a load
   that doubles every call's time does within 3 calls. Results do not depend on the
   thread count. nt < 0: exactly -nt threads, no adaptation (TRACER_ADAPT_THREADS=0). */
#define TR_ADAPT_SLOTS @ADAPT_SLOTS@
static double tr_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}
static int tr_threads_pick(int64_t *st, int nt, int *tried) {
    int64_t n = st[0];
    st[0] = n + 1;              /* concurrent calls may race here: only the counts suffer */
    double avg[2];
    memcpy(avg, st + 1, sizeof avg);
    *tried = n ? 1 : -1;        /* the first call warms up (thread pool, page faults) */
    if (n <= 4 || avg[0] <= 0 || avg[1] <= 0) return n % 2 ? nt : 1;  /* each arm twice */
    int serial_wins = avg[0] < avg[1];
    double ratio = serial_wins ? avg[1] / avg[0] : avg[0] / avg[1];
    int64_t every = ratio < 1.25 ? 16 : ratio < 2.0 ? 64 : 256;
    *tried = n % every == 0;
    return serial_wins != *tried ? 1 : nt;
}
static void tr_threads_note(int64_t *st, int serial, int tried, double seconds) {
    double avg[2];
    memcpy(avg, st + 1, sizeof avg);
    double *mine = &avg[serial ? 0 : 1];
    if (*mine <= 0 || (tried && seconds < *mine)) *mine = seconds;
    else *mine += 0.25 * (fmin(seconds, 2 * *mine) - *mine);
    memcpy(st + 1, avg, sizeof avg);
}

void tr_set_blas(void *dgemm, void *sgemm, void *dgemv, void *sgemv, void *threads_local,
                 int ilp64) {
    tr_blas_threads_local = (tr_blas_threads_t)threads_local;
    tr_dgemm = dgemm;
    tr_sgemm = sgemm;
    tr_dgemv = dgemv;
    tr_sgemv = sgemv;
    tr_blas_ilp64 = ilp64;
}

static void *tr_alloc(int64_t bytes) {
    return malloc(bytes > 0 ? (size_t)bytes : 1);
}

static int64_t tr_prod(int r, const int64_t *n) {
    int64_t p = 1;
    for (int d = 0; d < r; d++) p *= n[d];
    return p;
}

static void tr_contig(int r, const int64_t *n, int64_t *s) {
    int64_t acc = 1;
    for (int d = r - 1; d >= 0; d--) { s[d] = acc; acc *= n[d]; }
}

/* Drop size-1 dims and merge dims that every operand walks contiguously.
   n[r], s (operand j's strides at s + j*ld, ld >= r); compacted in place, each operand's
   strides staying at s + j*ld; returns the new rank. */
static int tr_collapse_ld(int r, int64_t *n, int k, int64_t *s, int ld) {
    int w = 0;
    for (int d = 0; d < r; d++) {
        if (n[d] == 1) continue;
        n[w] = n[d];
        for (int j = 0; j < k; j++) s[j * ld + w] = s[j * ld + d];
        w++;
    }
    if (w == 0) return 0;
    int out = 0;
    for (int d = 1; d < w; d++) {
        int merge = 1;
        for (int j = 0; j < k; j++)
            if (s[j * ld + out] != s[j * ld + d] * n[d]) { merge = 0; break; }
        if (merge) {
            n[out] *= n[d];
            for (int j = 0; j < k; j++) s[j * ld + out] = s[j * ld + d];
        } else {
            out++;
            n[out] = n[d];
            for (int j = 0; j < k; j++) s[j * ld + out] = s[j * ld + d];
        }
    }
    return out + 1;
}

/* tr_collapse_ld with the strides packed (operand j's at s + j*r). */
static int tr_collapse(int r, int64_t *n, int k, int64_t *s) {
    return tr_collapse_ld(r, n, k, s, r);
}

/* Offset of linear index `lin` (C order over n[0..r)) with strides s. */
static inline int64_t tr_offset(int r, const int64_t *n, const int64_t *s, int64_t lin) {
    int64_t off = 0;
    for (int d = r - 1; d >= 0; d--) {
        int64_t q = lin / n[d];
        off += (lin - q * n[d]) * s[d];
        lin = q;
    }
    return off;
}

/* All offsets of an r-dim index space in C order into out[prod(n)]. */
static void tr_offsets(int r, const int64_t *n, const int64_t *s, int64_t *out) {
    int64_t total = tr_prod(r, n);
    if (total == 0) return;
    if (r == 1) {               /* the common case (a matrix's rows or columns): no odometer */
        for (int64_t i = 0; i < total; i++) out[i] = i * s[0];
        return;
    }
    int64_t idx[64] = {0};
    int64_t off = 0;
    for (int64_t i = 0; i < total; i++) {
        out[i] = off;
        for (int d = r - 1; d >= 0; d--) {
            if (++idx[d] < n[d]) { off += s[d]; break; }
            off -= (n[d] - 1) * s[d];
            idx[d] = 0;
        }
    }
}

/* Strided copy of an r-dim array of `isz`-byte elements. */
static void tr_copy(int r, const int64_t *n0, char *dst, const int64_t *ds0,
                    const char *src, const int64_t *ss0, int isz) {
    int64_t n[64], s[128];
    for (int d = 0; d < r; d++) { n[d] = n0[d]; s[d] = ds0[d]; s[r + d] = ss0[d]; }
    if (tr_prod(r, n) == 0) return;
    int q = tr_collapse(r, n, 2, s);
    int64_t m = q ? n[q - 1] : 1, dsi = q ? s[q - 1] : 1, ssi = q ? s[r + q - 1] : 1;
    int64_t rows = q ? tr_prod(q - 1, n) : 1;
    for (int64_t row = 0; row < rows; row++) {
        char *d = dst + tr_offset(q - 1, n, s, row) * isz;
        const char *p = src + tr_offset(q - 1, n, s + r, row) * isz;
        if (dsi == 1 && ssi == 1) { memcpy(d, p, (size_t)(m * isz)); continue; }
        switch (isz) {
        case 1: for (int64_t i = 0; i < m; i++) ((uint8_t *)d)[i * dsi] = ((const uint8_t *)p)[i * ssi]; break;
        case 2: for (int64_t i = 0; i < m; i++) ((uint16_t *)d)[i * dsi] = ((const uint16_t *)p)[i * ssi]; break;
        case 4: for (int64_t i = 0; i < m; i++) ((uint32_t *)d)[i * dsi] = ((const uint32_t *)p)[i * ssi]; break;
        default: for (int64_t i = 0; i < m; i++) ((uint64_t *)d)[i * dsi] = ((const uint64_t *)p)[i * ssi]; break;
        }
    }
}

/* numpy's _attempt_nocopy_reshape: strides for viewing (r, n, s) as (nr, nn), or 0. */
static int tr_reshape_view(int r, const int64_t *n0, const int64_t *s0, int nr,
                           const int64_t *nn, int64_t *ns) {
    int64_t n[64], s[64];
    int q = 0;
    for (int d = 0; d < r; d++) if (n0[d] != 1) { n[q] = n0[d]; s[q] = s0[d]; q++; }
    int oi = 0, oj = 1, ni = 0, nj = 1;
    while (ni < nr && oi < q) {
        int64_t np_ = nn[ni], op = n[oi];
        while (np_ != op) {
            if (np_ < op) np_ *= nn[nj++]; else op *= n[oj++];
        }
        for (int ok = oi; ok < oj - 1; ok++) if (s[ok] != n[ok + 1] * s[ok + 1]) return 0;
        ns[nj - 1] = s[oj - 1];
        for (int nk = nj - 1; nk > ni; nk--) ns[nk - 1] = ns[nk] * nn[nk];
        ni = nj++;
        oi = oj++;
    }
    for (int d = ni; d < nr; d++) ns[d] = 1;   /* trailing size-1 dims */
    return 1;
}
"""
PRELUDE = PRELUDE.replace("@PAR_SIZE@", str(PAR_SIZE)).replace("@ADAPT_SLOTS@", str(ADAPT_SLOTS))
