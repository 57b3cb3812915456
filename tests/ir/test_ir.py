"""The IR: interning, type rules, walks, rewrites, graphs, the verifier, the text form."""
from __future__ import annotations

import numpy as np
import pytest

from tracer.backends.python import compile_graph
from tracer.ir import (
    Graph,
    IRTypeError,
    Loc,
    Op,
    VerifyError,
    make_const,
    make_node,
    make_param,
    rewrite,
    substitute,
    tensor_type,
    toposort,
    verify,
)

F64_23 = tensor_type(np.float64, (2, 3))
F64_3 = tensor_type(np.float64, (3,))
I64_3 = tensor_type(np.int64, (3,))


def params(*types):
    return [make_param(t, f"p{i}") for i, t in enumerate(types)]


# --- interning ------------------------------------------------------------------


def test_equal_nodes_are_the_same_object():
    a, b = params(F64_23, F64_23)
    assert make_node(Op.ADD, [a, b]) is make_node(Op.ADD, [a, b])
    assert make_node(Op.ADD, [a, b]) is not make_node(Op.ADD, [b, a])
    assert make_node(Op.EXP, [a]) is not make_node(Op.LOG, [a])
    r1 = make_node(Op.REDUCE_SUM, [a], {"axes": (0,)})
    assert r1 is make_node(Op.REDUCE_SUM, [a], {"axes": (0,)})
    assert r1 is not make_node(Op.REDUCE_SUM, [a], {"axes": (1,)})


def test_constants_are_interned_by_content_and_dtype():
    assert make_const(np.array([1.0, 2.0])) is make_const(np.array([1.0, 2.0]))
    assert make_const(np.array([1.0, 2.0])) is not make_const(np.array([1.0, 3.0]))
    assert make_const(np.array([1, 2])) is not make_const(np.array([1.0, 2.0]))
    assert make_const(np.array(0.0)) is not make_const(np.array(-0.0))
    assert make_const(np.array(np.nan)) is make_const(np.array(np.nan))
    assert make_const(np.zeros((2, 3))) is not make_const(np.zeros((3, 2)))


def test_constant_values_are_frozen_copies():
    source = np.array([1.0, 2.0])
    node = make_const(source)
    source[0] = 99.0
    stored = node.attrs["value"].array
    assert stored[0] == 1.0 and not stored.flags.writeable


def test_params_are_always_distinct():
    a, b = make_param(F64_3, "x"), make_param(F64_3, "x")
    assert a is not b and a.type == b.type


def test_ids_follow_creation_so_inputs_come_first():
    a, b = params(F64_3, F64_3)
    s = make_node(Op.ADD, [a, b])
    t = make_node(Op.MUL, [s, a])
    assert a.id < s.id < t.id and b.id < s.id


# --- type rules --------------------------------------------------------------------


def test_type_inference():
    a, b = params(F64_23, F64_3)
    assert make_node(Op.EXP, [a]).type == F64_23
    assert make_node(Op.LT, [a, a]).type == tensor_type(bool, (2, 3))
    assert make_node(Op.REDUCE_SUM, [a], {"axes": (1,)}).type == tensor_type(np.float64, (2,))
    assert make_node(Op.ARGMAX, [a], {"axis": 0}).type == I64_3
    assert make_node(Op.BROADCAST_TO, [b], {"shape": (4, 3)}).type == \
        tensor_type(np.float64, (4, 3))
    dot = make_node(Op.DOT_GENERAL, [a, b], {"contract": ((1,), (0,)), "batch": ((), ())})
    assert dot.type == tensor_type(np.float64, (2,))
    sl = make_node(Op.SLICE, [b], {"starts": (2,), "steps": (-1,), "sizes": (3,)})
    assert sl.type == F64_3
    idx = make_const(np.array([[0, 1]]))
    assert make_node(Op.GATHER, [a, idx], {"axis": 1}).type == tensor_type(np.float64, (2, 1, 2))


def _bad_cases():
    a, b, i, c = params(F64_23, F64_3, I64_3, tensor_type(bool, (2, 3)))
    idx32 = make_const(np.array([0, 1], np.int32))
    return [
        ("elementwise types differ", Op.ADD, [a, b], {}),
        ("dtypes differ", Op.MUL, [b, i], {}),
        ("float-only op on ints", Op.EXP, [i], {}),
        ("logical op on floats", Op.LOGICAL_AND, [a, a], {}),
        ("bitwise op on floats", Op.BITWISE_AND, [a, a], {}),
        ("wrong arity", Op.NEG, [a, a], {}),
        ("no inputs", Op.CONCATENATE, [], {"axis": 0}),
        ("select needs bool", Op.SELECT, [a, a, a], {}),
        ("select shapes", Op.SELECT, [c, b, b], {}),
        ("reduce axis out of range", Op.REDUCE_SUM, [a], {"axes": (2,)}),
        ("reduce repeated axis", Op.REDUCE_SUM, [a], {"axes": (0, 0)}),
        ("max over empty", Op.REDUCE_MAX, [make_param(tensor_type(np.float64, (0, 2)))],
         {"axes": (0,)}),
        ("reshape size", Op.RESHAPE, [a], {"shape": (4, 2)}),
        ("transpose perm", Op.TRANSPOSE, [a], {"perm": (0, 0)}),
        ("broadcast shape", Op.BROADCAST_TO, [b], {"shape": (3, 4)}),
        ("slice out of bounds", Op.SLICE, [b], {"starts": (2,), "steps": (1,), "sizes": (2,)}),
        ("slice step zero", Op.SLICE, [b], {"starts": (0,), "steps": (0,), "sizes": (1,)}),
        ("concatenate off-axis", Op.CONCATENATE, [a, b], {"axis": 0}),
        ("gather needs int64", Op.GATHER, [b, idx32], {"axis": 0}),
        ("gather without indices", Op.GATHER, [b], {"axis": 0}),
        ("scatter without indices", Op.SCATTER_ADD, [b], {"axis": 0}),
        ("scatter updates shape", Op.SCATTER_ADD, [b, i, a], {"axis": 0}),
        ("dot contraction sizes", Op.DOT_GENERAL, [a, b],
         {"contract": ((0,), (0,)), "batch": ((), ())}),
        ("dot dtypes", Op.DOT_GENERAL, [b, i], {"contract": ((0,), (0,)), "batch": ((), ())}),
        ("cast to unsupported dtype", Op.CAST, [a], {"dtype": np.dtype(object)}),
        ("argmax of empty", Op.ARGMAX, [make_param(tensor_type(np.float64, (0,)))], {"axis": 0}),
    ]


@pytest.mark.parametrize("case", range(len(_bad_cases())),
                         ids=[c[0].replace(" ", "_") for c in _bad_cases()])
def test_type_rules_reject_bad_inputs(case):
    _, op, inputs, attrs = _bad_cases()[case]
    with pytest.raises(IRTypeError):
        make_node(op, inputs, attrs)


def test_leaves_cannot_infer_their_type():
    with pytest.raises(IRTypeError):
        make_node(Op.PARAM, [], {"uid": -1, "name": ""})


# --- walks and rewrites -------------------------------------------------------------


def test_toposort_puts_inputs_first_and_visits_each_node_once():
    a, b = params(F64_3, F64_3)
    s = make_node(Op.ADD, [a, b])
    e = make_node(Op.EXP, [s])
    out = make_node(Op.MUL, [e, s])
    order = toposort([out, e])
    assert len(order) == len(set(order)) == 5
    position = {n: k for k, n in enumerate(order)}
    for node in order:
        for inp in node.inputs:
            assert position[inp] < position[node]
    assert [n.op for n in order] == [Op.PARAM, Op.PARAM, Op.ADD, Op.EXP, Op.MUL]


def test_substitute_replaces_and_rebuilds_users():
    a, b = params(F64_3, F64_3)
    out = make_node(Op.EXP, [make_node(Op.ADD, [a, b])])
    c = make_const(np.ones(3))
    (new,) = substitute([out], {b: c})
    assert new is make_node(Op.EXP, [make_node(Op.ADD, [a, c])])
    assert substitute([out], {}) == [out]  # nothing to replace: the same nodes


def test_rewrite_applies_a_rule_and_keeps_locations():
    a, b = params(F64_3, F64_3)
    loc = Loc("user.py", 7, "f")
    out = make_node(Op.NEG, [make_node(Op.SUB, [a, b], loc=loc)])

    def sub_to_add_neg(node, inputs):  # x - y -> x + (-y)
        if node.op is Op.SUB:
            return make_node(Op.ADD, [inputs[0], make_node(Op.NEG, [inputs[1]])])
        return None

    (new,) = rewrite([out], sub_to_add_neg)
    assert new.op is Op.NEG and new.inputs[0].op is Op.ADD
    assert new.inputs[0].loc == loc
    run = compile_graph(Graph((a, b), (new,)))
    x, y = np.array([1.0, 2.0, 3.0]), np.array([0.5, -1.0, 4.0])
    np.testing.assert_array_equal(run([x, y])[0], -(x - y))


def test_graph_apply_inlines_on_new_arguments():
    a, b = params(F64_3, F64_3)
    g = Graph((a, b), (make_node(Op.MUL, [a, make_node(Op.EXP, [b])]),))
    c, d = params(F64_3, F64_3)
    (out,) = g.apply([c, d])
    assert out is make_node(Op.MUL, [c, make_node(Op.EXP, [d])])
    with pytest.raises(ValueError):
        g.apply([c])
    with pytest.raises(TypeError):
        g.apply([c, make_param(I64_3)])


def test_graph_rejects_non_param_inputs_and_lists_unused_params():
    a, b = params(F64_3, F64_3)
    with pytest.raises(ValueError):
        Graph((make_node(Op.EXP, [a]),), (a,))
    g = Graph((a, b), (make_node(Op.EXP, [a]),))
    assert b in g.nodes() and g.ops() == ["exp"]


# --- verify ------------------------------------------------------------------------


def test_verify_accepts_a_well_typed_graph():
    a, b = params(F64_23, F64_3)
    y = make_node(Op.ADD, [a, make_node(Op.BROADCAST_TO, [b], {"shape": (2, 3)})])
    verify(Graph((a, b), (y,)))


def test_verify_rejects_free_params():
    a, b = params(F64_3, F64_3)
    with pytest.raises(VerifyError):
        verify(Graph((a,), (make_node(Op.ADD, [a, b]),)))


def test_verify_rejects_a_node_whose_type_was_tampered_with():
    a = make_param(F64_3)
    node = make_node(Op.EXP, [a])
    good = node.type
    try:
        node.type = tensor_type(np.float32, (3,))
        with pytest.raises(VerifyError):
            verify(Graph((a,), (node,)))
    finally:
        node.type = good


# --- text form ------------------------------------------------------------------------


def test_text_form_does_not_depend_on_what_was_built_before():
    x = make_param(F64_3, "x")
    early = make_const(np.array(3.25))  # built first: the smaller id
    out = make_node(Op.MUL, [make_node(Op.EXP, [x]),
                             make_node(Op.BROADCAST_TO, [early], {"shape": (3,)})])
    lines = Graph((x,), (out,)).as_text().splitlines()
    assert [line.split(" = ")[1].split()[0] for line in lines[1:-1]] == \
        ["exp", "const", "broadcast_to", "mul"]


def test_text_form_golden():
    x = make_param(tensor_type(np.float64, (4, 5)), "x")
    w = make_param(tensor_type(np.float64, (5,)), "w")
    wb = make_node(Op.BROADCAST_TO, [w], {"shape": (4, 5)})
    y = make_node(Op.MUL, [x, wb])
    total = make_node(Op.REDUCE_SUM, [y], {"axes": (1,)})
    two = make_node(Op.BROADCAST_TO, [make_const(np.array(2.0))], {"shape": (4,)})
    out = make_node(Op.DIV, [total, two])
    assert Graph((x, w), (out, y)).as_text() == "\n".join([
        "{ lambda %0:f64[4,5] %1:f64[5] .",
        "  %2:f64[4,5] = broadcast_to %1 {shape=(4, 5)}",
        "  %3:f64[4,5] = mul %0, %2",
        "  %4:f64[4] = reduce_sum %3 {axes=(1,)}",
        "  %5:f64[] = const {value=2.}",
        "  %6:f64[4] = broadcast_to %5 {shape=(4,)}",
        "  %7:f64[4] = div %4, %6",
        "  return %7, %3 }",
    ])
