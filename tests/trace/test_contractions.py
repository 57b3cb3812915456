"""einsum, tensordot, inner, outer, vdot, kron, cross, multi_dot, linalg.norm vs numpy."""
from __future__ import annotations

import numpy as np
import pytest

import tracer as tr
from tests.helpers import check_against_numpy


def _arr(rng, shape, dtype=np.float64):
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return rng.random(shape) > 0.5
    if dtype.kind in "iu":
        return rng.integers(-3 if dtype.kind == "i" else 0, 4, size=shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


EINSUM_CASES = [
    ("ij,jk->ik", [(3, 4), (4, 5)]),            # matmul
    ("ij,jk", [(3, 4), (4, 5)]),                # implicit output
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),   # batch matmul
    ("ii", [(4, 4)]),                           # trace
    ("ii->i", [(4, 4)]),                        # diagonal
    ("i,j->ij", [(3,), (4,)]),                  # outer
    ("ij->", [(3, 4)]),                         # total sum
    ("ij->ji", [(3, 4)]),                       # transpose
    ("ij", [(3, 4)]),                           # identity
    ("ji", [(3, 4)]),                           # implicit transpose
    ("ij->j", [(3, 4)]),                        # column sums
    ("i,i", [(5,), (5,)]),                      # dot
    ("i,i->i", [(5,), (5,)]),                   # product
    ("...ij,...jk->...ik", [(2, 3, 4), (4, 5)]),
    ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]),
    ("...i,...i", [(2, 3), (3,)]),
    ("...", [(2, 3)]),
    ("i...->...", [(2, 3)]),
    ("ij...,jk...->ik...", [(2, 3, 4), (3, 5, 4)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),  # three operands
    ("ij,jk,k", [(2, 3), (3, 4), (4,)]),
    ("i,j,k->ijk", [(2,), (3,), (4,)]),
    ("ab,cd,bc->ad", [(2, 3), (4, 5), (3, 4)]),
    ("iij->ij", [(3, 3, 4)]),                   # diagonal with extra axis
    ("iji->j", [(3, 4, 3)]),
    ("iii->i", [(3, 3, 3)]),
    ("ii,jj->ij", [(3, 3), (2, 2)]),
    ("ij,ij->ij", [(1, 4), (3, 4)]),            # size-1 broadcasting of a label
    ("ij,jk->ik", [(3, 1), (3, 5)]),            # contracted label broadcast
    ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]),
    ("Ab,bA", [(2, 3), (3, 2)]),
    ("bA", [(2, 3)]),
    (" i j , j k -> i k ", [(2, 3), (3, 4)]),
    ("ijk,jil->kl", [(3, 2, 4), (2, 3, 5)]),
    ("i,->i", [(3,), ()]),
    (",", [(), ()]),
]


@pytest.mark.parametrize("subscripts,shapes", EINSUM_CASES)
def test_einsum_subscripts(rng, subscripts, shapes):
    args = [_arr(rng, s) for s in shapes]
    check_against_numpy(lambda *xs: np.einsum(subscripts, *xs), *args, rtol=1e-12)


@pytest.mark.parametrize("dtypes", [
    (np.int32, np.int32), (np.float32, np.float32), (np.float64, np.float64),
    (np.int32, np.float32), (np.int8, np.int64), (np.bool_, np.bool_),
    (np.bool_, np.int8), (np.uint8, np.uint8), (np.int64, np.float32),
])
@pytest.mark.parametrize("subscripts,shapes", [
    ("ij,jk->ik", [(3, 4), (4, 5)]), ("i,i", [(6,), (6,)]), ("ii,i->i", [(3, 3), (3,)]),
])
def test_einsum_dtypes(rng, dtypes, subscripts, shapes):
    args = [_arr(rng, s, dt) for s, dt in zip(shapes, dtypes)]
    check_against_numpy(lambda *xs: np.einsum(subscripts, *xs), *args)


def test_einsum_bool_is_or_of_ands():
    a = np.array([[True, False], [False, False]])
    b = np.array([[False, True], [False, True]])
    check_against_numpy(lambda x, y: np.einsum("ij,jk->ik", x, y), a, b)


def test_einsum_uint8_wraps_like_numpy():
    a = np.full(3, 200, np.uint8)
    check_against_numpy(lambda x: np.einsum("i,i", x, x), a)


def test_einsum_dtype_keyword(rng):
    a, b = _arr(rng, (3, 4), np.float32), _arr(rng, (4, 2), np.float32)
    check_against_numpy(lambda x, y: np.einsum("ij,jk", x, y, dtype=np.float64), a, b)
    i = _arr(rng, (3, 4), np.int32)
    check_against_numpy(lambda x: np.einsum("ij->i", x, dtype=np.int8, casting="unsafe"), i)


def test_einsum_sublist_format(rng):
    a, b = _arr(rng, (3, 4)), _arr(rng, (4, 5))
    check_against_numpy(lambda x, y: np.einsum(x, [0, 1], y, [1, 2], [2, 0]), a, b)
    check_against_numpy(lambda x, y: np.einsum(x, [0, 1], y, [1, 2]), a, b)
    check_against_numpy(lambda x: np.einsum(x, [Ellipsis, 1], [Ellipsis]), a)


def test_einsum_optimize_ignored(rng):
    a, b, c = _arr(rng, (3, 4)), _arr(rng, (4, 5)), _arr(rng, (5, 2))
    for opt in (True, False, "greedy", "optimal"):
        check_against_numpy(lambda x, y, z, o=opt: np.einsum("ij,jk,kl", x, y, z, optimize=o),
                            a, b, c, rtol=1e-12)


@pytest.mark.parametrize("subscripts,shapes", [
    ("ij,jk->ik", [(3, 0), (0, 5)]), ("ij->i", [(0, 3)]), ("ii->i", [(0, 0)]),
    ("bij,bjk->bik", [(0, 2, 3), (0, 3, 4)]), ("i,j->ij", [(0,), (3,)]),
])
def test_einsum_empty(rng, subscripts, shapes):
    args = [_arr(rng, s) for s in shapes]
    check_against_numpy(lambda *xs: np.einsum(subscripts, *xs), *args)


def test_einsum_non_contiguous(rng):
    a = _arr(rng, (6, 8))[::2, 1::2]
    b = np.asfortranarray(_arr(rng, (4, 5)))
    c = _arr(rng, (5, 3)).T
    check_against_numpy(lambda x, y, z: np.einsum("ij,jk,lk->il", x, y, z), a, b, c, rtol=1e-12)
    check_against_numpy(lambda x: np.einsum("ii->i", x), _arr(rng, (4, 4)).T)


def test_einsum_with_constant_operand(rng):
    w = _arr(rng, (4, 2))
    check_against_numpy(lambda x: np.einsum("ij,jk", x, w), _arr(rng, (3, 4)), rtol=1e-12)


def test_einsum_graph_uses_dot_general_and_gather(rng):
    f = tr.compile(lambda x, y: np.einsum("ii,ij->j", x, y))
    ops = f.lower(_arr(rng, (3, 3)), _arr(rng, (3, 4))).as_text()
    assert "dot_general" in ops and "gather" in ops


@pytest.mark.parametrize("subscripts,shapes,exc,match", [
    ("ij,jk", [(2, 3), (4, 5)], ValueError, "could not be broadcast"),
    ("ii", [(2, 3)], ValueError, "collapsing index 'i'"),
    ("ij", [(3,)], ValueError, "too many subscripts"),
    ("i", [(2, 3)], ValueError, "ellipsis"),
    ("ij->k", [(2, 3)], ValueError, "never appeared"),
    ("ij->ii", [(2, 3)], ValueError, "multiple times"),
    ("i,j,k", [(2,), (3,)], ValueError, "operands"),
    ("i0", [(3,)], ValueError, "invalid subscript"),
    ("..i", [(3,)], ValueError, "ellipsis"),
    ("...i->i", [(2, 3)], ValueError, "ellipsis"),
])
def test_einsum_errors_like_numpy(rng, subscripts, shapes, exc, match):
    args = [_arr(rng, s) for s in shapes]
    with pytest.raises(exc, match=match):
        np.einsum(subscripts, *args)
    with pytest.raises(exc, match=match):
        tr.compile(lambda *xs: np.einsum(subscripts, *xs))(*args)


def test_einsum_keyword_errors(rng):
    a = _arr(rng, (3,))
    with pytest.raises(TypeError, match="could not be cast"):
        tr.compile(lambda x: np.einsum("i,i", x, x, dtype=np.int32))(a)
    with pytest.raises(TypeError, match="unexpected keyword"):
        tr.compile(lambda x: np.einsum("i,i", x, x, bogus=1))(a)
    with pytest.raises(TypeError, match="out="):
        tr.compile(lambda x: np.einsum("i,i", x, x, out=np.empty(())))(a)


# -- tensordot / inner / outer / vdot -----------------------------------------------

@pytest.mark.parametrize("sa,sb,axes", [
    ((3, 4), (4, 5), 1), ((2, 3, 4), (3, 4, 5), 2), ((3, 4), (5, 6), 0),
    ((3, 4, 5), (4, 3, 2), ([0, 1], [1, 0])), ((3, 4), (4, 3), ([1], [0])),
    ((3, 4), (4, 3), (1, 0)), ((2, 3), (2, 3), ([-1, -2], [-1, -2])),
    ((2, 3, 4), (2, 3, 4), 3), ((0, 3), (3, 2), 1),
])
def test_tensordot(rng, sa, sb, axes):
    check_against_numpy(lambda a, b: np.tensordot(a, b, axes=axes),
                        _arr(rng, sa), _arr(rng, sb), rtol=1e-12)


@pytest.mark.parametrize("da,db", [(np.int32, np.float32), (np.bool_, np.bool_),
                                   (np.int8, np.int8), (np.float32, np.float32)])
def test_tensordot_dtypes(rng, da, db):
    check_against_numpy(lambda a, b: np.tensordot(a, b), _arr(rng, (3, 4), da),
                        _arr(rng, (3, 4), db))


def test_tensordot_default_axes(rng):
    check_against_numpy(lambda a, b: np.tensordot(a, b), _arr(rng, (2, 3, 4)),
                        _arr(rng, (3, 4, 5)), rtol=1e-12)


def test_tensordot_mismatch():
    a, b = np.ones((2, 3)), np.ones((2, 3))
    with pytest.raises(ValueError, match="shape-mismatch for sum"):
        tr.compile(lambda x, y: np.tensordot(x, y, axes=1))(a, b)
    with pytest.raises(ValueError, match="shape-mismatch for sum"):
        tr.compile(lambda x, y: np.tensordot(x, y, axes=([0, 1], [0])))(a, b)


@pytest.mark.parametrize("sa,sb", [((3,), (3,)), ((2, 3), (3,)), ((2, 3), (4, 3)),
                                   ((2, 2, 3), (4, 3)), ((), (3,)), ((2, 0), (3, 0))])
def test_inner(rng, sa, sb):
    check_against_numpy(np.inner, _arr(rng, sa), _arr(rng, sb), rtol=1e-12)


def test_inner_scalar_and_dtypes(rng):
    check_against_numpy(lambda a: np.inner(a, 2.0), _arr(rng, (3,), np.float32))
    check_against_numpy(np.inner, _arr(rng, (3,), np.bool_), _arr(rng, (3,), np.bool_))
    check_against_numpy(np.inner, _arr(rng, (3,), np.int16), _arr(rng, (3,), np.float32))


def test_inner_error():
    with pytest.raises(ValueError, match="not aligned"):
        tr.compile(np.inner)(np.ones((2, 3)), np.ones(2))


@pytest.mark.parametrize("sa,sb", [((3,), (4,)), ((2, 3), (4,)), ((), (2, 2)), ((0,), (3,))])
def test_outer(rng, sa, sb):
    check_against_numpy(np.outer, _arr(rng, sa), _arr(rng, sb))


def test_outer_dtypes(rng):
    check_against_numpy(np.outer, _arr(rng, (3,), np.bool_), _arr(rng, (2,), np.bool_))
    check_against_numpy(lambda a: np.outer(a, 2.0), _arr(rng, (3,), np.float32))
    check_against_numpy(np.outer, _arr(rng, (3,), np.int8), _arr(rng, (2,), np.uint8))


@pytest.mark.parametrize("sa,sb", [((3,), (3,)), ((2, 3), (6,)), ((2, 2), (2, 2)), ((0,), (0,))])
def test_vdot(rng, sa, sb):
    check_against_numpy(np.vdot, _arr(rng, sa), _arr(rng, sb), rtol=1e-12)


def test_vdot_dtypes_and_error(rng):
    check_against_numpy(np.vdot, _arr(rng, (4,), np.bool_), _arr(rng, (4,), np.bool_))
    check_against_numpy(np.vdot, _arr(rng, (4,), np.int8), _arr(rng, (2, 2), np.int8))
    with pytest.raises(ValueError):
        tr.compile(np.vdot)(np.ones(3), np.ones(4))


@pytest.mark.parametrize("sa,sb", [((2,), (3,)), ((2, 3), (4, 5)), ((2,), (3, 4)),
                                   ((2, 2, 2), (3,)), ((), (3,))])
def test_kron(rng, sa, sb):
    check_against_numpy(np.kron, _arr(rng, sa), _arr(rng, sb))
    check_against_numpy(np.kron, _arr(rng, sa, np.int32), _arr(rng, sb, np.float32))


@pytest.mark.parametrize("sa,sb,kw", [
    ((3,), (3,), {}), ((4, 3), (3,), {}), ((3, 4), (4, 3), {"axisa": 0}),
    ((3, 4), (3, 4), {"axis": 0}), ((2, 3), (2, 3), {"axisc": 0}),
])
def test_cross(rng, sa, sb, kw):
    check_against_numpy(lambda a, b: np.cross(a, b, **kw), _arr(rng, sa), _arr(rng, sb))
    check_against_numpy(lambda a, b: np.cross(a, b, **kw), _arr(rng, sa, np.int32),
                        _arr(rng, sb, np.float32))


def test_cross_bad_dimension():
    with pytest.raises(ValueError, match="incompatible dimensions"):
        tr.compile(np.cross)(np.ones(4), np.ones(3))


@pytest.mark.parametrize("shapes", [
    [(2, 3), (3, 4)], [(3,), (3, 4), (4, 2)], [(2, 3), (3, 4), (4,)], [(3,), (3, 4), (4,)],
    [(5, 2), (2, 8), (8, 3), (3, 4)], [(2, 3), (3, 4), (4, 5), (5, 6), (6, 2)],
])
def test_multi_dot(rng, shapes):
    arrays = [_arr(rng, s) for s in shapes]
    check_against_numpy(lambda *xs: np.linalg.multi_dot(list(xs)), *arrays, rtol=1e-12)


def test_multi_dot_errors():
    with pytest.raises(ValueError, match="at least two"):
        tr.compile(lambda a: np.linalg.multi_dot([a]))(np.ones((2, 2)))
    with pytest.raises(np.linalg.LinAlgError, match="two-dimensional"):
        tr.compile(lambda a, b, c: np.linalg.multi_dot([a, b, c]))(
            np.ones((2, 2)), np.ones((2, 2, 2)), np.ones((2, 2)))


# -- linalg.norm ------------------------------------------------------------------------

@pytest.mark.parametrize("shape,ord,axis", [
    ((5,), None, None), ((5,), 2, None), ((5,), 1, None), ((5,), np.inf, None),
    ((5,), -np.inf, None), ((5,), 0, None), ((5,), 3, None), ((5,), 0.5, None),
    ((5,), -1, None), ((3, 4), None, None), ((3, 4), "fro", None), ((3, 4), 1, None),
    ((3, 4), -1, None), ((3, 4), np.inf, None), ((3, 4), -np.inf, None),
    ((3, 4), None, 1), ((3, 4), 2, 0), ((3, 4), 1, -1), ((3, 4), np.inf, 1),
    ((3, 4), 0, 0), ((3, 4), 4, 1), ((2, 3, 4), None, (0, 2)), ((2, 3, 4), 1, (2, 0)),
    ((2, 3, 4), np.inf, (1, 2)), ((2, 3, 4), -1, (0, 1)), ((2, 3, 4), "fro", (2, 1)),
    ((2, 3, 4), None, None), ((2, 3, 4), np.inf, 1), ((0,), None, None), ((0, 3), np.inf, 0),
])
@pytest.mark.parametrize("keepdims", [False, True])
def test_norm(rng, shape, ord, axis, keepdims):
    check_against_numpy(lambda x: np.linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims),
                        _arr(rng, shape), rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.bool_, np.int8])
def test_norm_dtypes(rng, dtype):
    x = _arr(rng, (3, 4), dtype)
    check_against_numpy(lambda a: np.linalg.norm(a), x)
    check_against_numpy(lambda a: np.linalg.norm(a, ord=3, axis=1), x)
    check_against_numpy(lambda a: np.linalg.norm(a, ord=1), x)


def test_norm_non_contiguous(rng):
    x = _arr(rng, (6, 8))[::2, ::-3]
    check_against_numpy(lambda a: np.linalg.norm(a, axis=0), x, rtol=1e-12)
    check_against_numpy(lambda a: np.linalg.norm(a, ord=np.inf), x.T, rtol=1e-12)


@pytest.mark.parametrize("shape,kw,exc,match", [
    ((3, 4), {"ord": 3}, ValueError, "Invalid norm order for matrices"),
    ((4,), {"ord": "fro"}, ValueError, "Invalid norm order 'fro' for vectors"),
    ((3, 4), {"axis": (0, 0)}, ValueError, "Duplicate axes"),
    ((2, 2, 2), {"ord": 1}, ValueError, "Improper number of dimensions"),
    ((2, 2, 2), {"axis": (0, 1, 2)}, ValueError, "Improper number of dimensions"),
    ((3, 4), {"axis": 2}, np.exceptions.AxisError, "out of bounds"),
    ((3, 4), {"axis": "a"}, TypeError, "'axis' must be"),
])
def test_norm_errors(shape, kw, exc, match):
    x = np.ones(shape)
    with pytest.raises(exc, match=match):
        np.linalg.norm(x, **kw)
    with pytest.raises(exc, match=match):
        tr.compile(lambda a: np.linalg.norm(a, **kw))(x)


@pytest.mark.parametrize("ord", [2, -2, "nuc"])
@pytest.mark.parametrize("axis, keepdims", [(None, False), ((2, 0), True), ((-1, 1), False)])
def test_matrix_norms_through_singular_values(ord, axis, keepdims):
    x = np.random.default_rng(0).normal(size=(3, 4, 5))
    if axis is None:
        x = x[0]
    got = tr.compile(lambda a: np.linalg.norm(a, ord, axis, keepdims))(x)
    np.testing.assert_allclose(got, np.linalg.norm(x, ord, axis, keepdims), rtol=1e-12)
