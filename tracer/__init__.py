"""tracer: write numpy, get a compiled, differentiable function.

    import tracer as tr

    @tr.compile
    def f(x, y): return np.tanh(x @ y).sum()
"""
from ._version import __version__
from .api import Compiled, CompiledFunction, Lowered, compile, config, ifelse
from .api import grad, hessian, hvp, jacobian, jvp, value_and_grad, vjp
from .trace import ConcretizationError

__all__ = ["Compiled", "CompiledFunction", "Lowered", "compile", "config", "ifelse",
           "ConcretizationError", "__version__",
           "grad", "value_and_grad", "jvp", "vjp", "hvp", "jacobian", "hessian"]
