"""The IR: types, interned nodes, graphs, the op catalog, the text form."""
from .dtypes import SUPPORTED as SUPPORTED_DTYPES
from .graph import Graph, rewrite, substitute
from .node import Attrs, ConstValue, Loc, Node, make_const, make_node, make_param
from .ops import Op, IRTypeError, infer_type
from .types import TensorType, tensor_type
from .verify import VerifyError, verify
from .walk import toposort

__all__ = [
    "SUPPORTED_DTYPES", "Graph", "rewrite", "substitute", "Attrs", "ConstValue", "Loc",
    "Node", "make_const", "make_node", "make_param", "Op", "IRTypeError", "infer_type",
    "TensorType", "tensor_type", "VerifyError", "verify", "toposort",
]
