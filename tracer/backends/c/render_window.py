"""C for a 1-d fused loop whose members read each other at shifted positions.

Such a loop (fusion.py: members that slice or concatenate) goes over the
root's positions in blocks of TR_B. Inside a block the members are computed in
runs: consecutive members of one size whose windows (the positions,
relative to the block, some consumer needs them at) lie in the run's share a `#pragma omp simd`
loop, as an ordinary fused loop does. A member read by a later run is kept in
a stack buffer covering its whole window, zero outside the member's own
range, so a slice reads buffer[i + start] and a concatenation selects between
its pieces' buffers without a branch. A leaf read at a shift is gathered into
a buffer the same way (zero outside its range). Every value stays in L1: the
loop reads its leaves once and writes its output once.

Sizes, window starts, slice starts and concatenation offsets come from the
table W (part of S), so a new size reuses the compiled code.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ...ir import Node, Op
from .cnames import ctype
from .fusion import FusedLoop
from .ops_table import Helpers, expression


@dataclass
class _Run:
    window: tuple[int, int]
    size: int
    members: list[Node] = field(default_factory=list)


@dataclass
class _Emitter:
    loop: FusedLoop
    helpers: Helpers
    table: list[int] = field(default_factory=list)
    runs: list[_Run] = field(default_factory=list)
    run_of: dict[Node, int] = field(default_factory=dict)
    buffered: set[Node] = field(default_factory=set)
    checks: list[str] = field(default_factory=list)
    memo: dict[tuple[Node, str], str] = field(default_factory=dict)

    def w(self, value: int) -> str:
        """C for `value`, read from the table W."""
        self.table.append(int(value))
        return f"W[{len(self.table) - 1}]"


def _runs(em: _Emitter) -> None:
    """Split the members into runs; mark members a later run reads (buffered)."""
    loop = em.loop
    left = list(loop.members)
    while left:
        ready = [n for n in left if all(i not in loop.windows or i in em.run_of
                                        for i in n.inputs)]
        cur = len(em.runs) - 1
        fits = [n for n in ready if em.runs and _fits(em.runs[-1], n, loop) and not (
            n.op in (Op.SLICE, Op.CONCATENATE) and any(em.run_of.get(i) == cur for i in n.inputs))]
        if fits:
            node = fits[0]
        else:   # a new run: the widest window first (its consumers are narrower)
            node = max(ready, key=lambda n: loop.windows[n][1] - loop.windows[n][0])
            em.runs.append(_Run(loop.windows[node], node.shape[0]))
        em.runs[-1].members.append(node)
        em.run_of[node] = len(em.runs) - 1
        left.remove(node)
    for node in loop.members:
        for i in node.inputs:
            if i in em.run_of and em.run_of[i] != em.run_of[node]:
                em.buffered.add(i)


def _fits(run: _Run, node: Node, loop: FusedLoop) -> bool:
    """A run computes a member of its size whose window lies inside its own (a
    few more positions than the member needs cost less than another loop)."""
    lo, hi = loop.windows[node]
    return node.shape[0] == run.size and run.window[0] <= lo and hi <= run.window[1]


def _halo(run: _Run) -> int:
    return run.window[1] - run.window[0]


def _read(em: _Emitter, node: Node, run: int, shift: str, pre: list[str]) -> str:
    """C for `node` at run position ws + i + shift (shift: C text or "0"), set up once."""
    if _scalar(node):       # one value broadcast: read once (a concatenation
        shift = "scalar"    # never selects it outside its range)
    if (node, shift) not in em.memo:
        em.memo[node, shift] = _read_new(em, node, run, shift, pre)
    return em.memo[node, shift]


def _scalar(node: Node) -> bool:
    """A leaf that broadcasts one element (stride 0 whatever the sizes)."""
    return node.op is Op.BROADCAST_TO and node.inputs[0].type.size == 1


def _read_new(em: _Emitter, node: Node, run: int, shift: str, pre: list[str]) -> str:
    if node in em.run_of and em.run_of[node] == run and shift == "0":
        return f"t{em.loop.members.index(node)}"
    if node in em.run_of:   # a buffered member: its buffer starts at b0 + its window's lo
        k = em.loop.members.index(node)
        lo = em.w(em.runs[em.run_of[node]].window[0])
        pre.append(f"int64_t d{k}_{len(pre)} = ws + {shift} - (b0 + {lo});")
        return f"buf{k}[i + d{k}_{len(pre) - 1}]"
    j = em.loop.leaves.index(node)
    t = ctype(node.dtype)
    if shift == "scalar":
        pre.append(f"const {t} c{j} = a{j}[0];")
        return f"c{j}"
    if shift == "0":        # a leaf at the run's own positions: in place or gathered
        pre.append(f"const {t} *r{j} = a{j} + ws * s{j}[0]; {t} g{j}[TR_B + {_halo(em.runs[run])}];\n"
                   f"        if (s{j}[0] != 1) {{ for (int64_t i = 0; i < m; i++) "
                   f"g{j}[i] = r{j}[i * s{j}[0]]; r{j} = g{j}; }}")
        return f"r{j}[i]"
    z = f"z{j}_{len(pre)}"  # a leaf at a shift: gathered, zero outside its range
    size = em.w(node.shape[0])
    pre.append(f"{t} {z}[TR_B + {_halo(em.runs[run])}];\n"
               f"        for (int64_t i = 0; i < m; i++) {{ int64_t q = ws + {shift} + i; "
               f"{z}[i] = q >= 0 && q < {size} ? a{j}[q * s{j}[0]] : 0; }}")
    return f"{z}[i]"


def _member(em: _Emitter, node: Node, run: int, pre: list[str]) -> str:
    """C for one member's value at position p = ws + i."""
    if node.op is Op.SLICE:
        return _read(em, node.inputs[0], run, em.w(node.attrs["starts"][0]), pre)
    if node.op is Op.CONCATENATE:
        acc, pieces = 0, []
        for piece in node.inputs:
            off = em.w(acc)
            pieces.append((off, _read(em, piece, run, f"-{off}", pre)))
            acc += piece.shape[0]
        text = pieces[-1][1]
        for (_, value), (nxt, _) in zip(reversed(pieces[:-1]), reversed(pieces[1:])):
            text = f"(ws + i < {nxt} ? {value} : {text})"
        return text
    seen: dict[Node, str] = {}
    for i in node.inputs:
        if i not in seen:
            seen[i] = _read(em, i, run, "0", pre)
    expr = expression(node.op, node.inputs[-1].dtype, node.dtype,
                      [seen[i] for i in node.inputs], em.helpers)
    if expr.check:
        em.checks.append(expr.check)
    return expr.text


def _run_text(em: _Emitter, r: int) -> str:
    """One run: its range in this block, its leaves, its simd loop, its buffers' edges."""
    run, pre, body = em.runs[r], [], []
    em.checks, em.memo = [], {}
    h = _halo(run)
    lo, size = em.w(run.window[0]), em.w(run.size)
    for node in run.members:
        k = em.loop.members.index(node)
        body.append(f"{ctype(node.dtype)} t{k} = {_member(em, node, r, pre)};")
        if node in em.buffered:
            body.append(f"buf{k}[i + ws - base] = t{k};")
    if r == len(em.runs) - 1:
        body.append(f"o[i] = t{len(em.loop.members) - 1};")
    edges = "".join(
        f"\n        for (int64_t i = 0; i < ws - base && i < len + {h}; i++) buf{k}[i] = 0;"
        f"\n        for (int64_t i = we - base; i < len + {h}; i++) buf{k}[i] = 0;"
        for k, node in enumerate(em.loop.members) if node in em.buffered and em.run_of[node] == r)
    check = "".join(f"\n            bad |= {c};" for c in em.checks)
    setup = "".join(f"\n        {line}" for line in pre)
    return f"""    {{
        int64_t base = b0 + {lo}, ws = base > 0 ? base : 0, we = base + len + {h};
        if (we > {size}) we = {size};
        if (we < ws) we = ws;
        int64_t m = we - ws;
        (void)m;{setup}
        #pragma omp simd reduction(|:bad)
        for (int64_t i = 0; i < m; i++) {{
            {chr(10).join('            ' + b for b in body).lstrip()}{check}
        }}{edges}
    }}
"""


def render_window(name: str, loop: FusedLoop, helpers: Helpers) -> tuple[str, list[int]]:
    """The C functions `name` and `name_blk`, and the table W they read."""
    em = _Emitter(loop, helpers)
    _runs(em)
    out_t = ctype(loop.root.dtype)
    runs = "".join(_run_text(em, r) for r in range(len(em.runs)))
    buffers = "".join(
        f"    {ctype(n.dtype)} buf{k}[TR_B + {_halo(em.runs[em.run_of[n]])}];\n"
        for k, n in enumerate(loop.members) if n in em.buffered)
    leaf_t = [ctype(leaf.dtype) for leaf in loop.leaves]
    params = "".join(f", const {t} *a{j}, const int64_t *s{j}" for j, t in enumerate(leaf_t))
    args = "".join(f", a{j}, s{j}" for j in range(len(leaf_t)))
    text = f"""static int {name}_blk(int64_t b0, int64_t len, const int64_t *W, {out_t} *out{params}) {{
    int bad = 0;
    {out_t} *restrict o = out + b0;
    (void)W;
{buffers}{runs}    return bad;
}}

static int {name}(const int64_t *n0, {out_t} *out{params}, const int64_t *W, int nt) {{
    int64_t n = n0[0], nb = (n + TR_B - 1) / TR_B;
    int bad = 0;
    if (nt > 1 && n >= TR_PAR) {{
        #pragma omp parallel for num_threads(nt) schedule(static) reduction(|:bad)
        for (int64_t c = 0; c < nb; c++)
            bad |= {name}_blk(c * TR_B, n - c * TR_B < TR_B ? n - c * TR_B : TR_B, W, out{args});
    }} else {{
        for (int64_t c = 0; c < nb; c++)
            bad |= {name}_blk(c * TR_B, n - c * TR_B < TR_B ? n - c * TR_B : TR_B, W, out{args});
    }}
    return bad ? TR_ENEGPOW : TR_OK;
}}
"""
    return text, em.table
