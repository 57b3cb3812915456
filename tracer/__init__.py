"""tracer: write numpy, get a compiled, differentiable function.

    import tracer as tr

    @tr.compile
    def f(x, y): return np.tanh(x @ y).sum()
"""
from .api import Compiled, CompiledFunction, Lowered, compile, config
from .api import grad, hessian, hvp, jacobian, jvp, value_and_grad, vjp
from .trace import ConcretizationError

__version__ = "0.1.0"

__all__ = ["Compiled", "CompiledFunction", "Lowered", "compile", "config",
           "ConcretizationError", "__version__",
           "grad", "value_and_grad", "jvp", "vjp", "hvp", "jacobian", "hessian"]
