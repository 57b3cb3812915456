"""tracer: write numpy, get a compiled, differentiable function.

    import tracer as tr

    @tr.compile
    def f(x, y): return np.tanh(x @ y).sum()
"""
from ._version import __version__
from .api import Compiled, CompiledFunction, Lowered, compile, config, ifelse
from .api import fori_loop, scan, until, while_loop
from .api import grad, hessian, hvp, jacobian, jvp, value_and_grad, vjp
from .backends.c import BackgroundCompileWarning
from .loops.roll import LoopWarning
from .trace import ConcretizationError
from .trace.effects import SideEffectWarning

__all__ = ["Compiled", "CompiledFunction", "Lowered", "compile", "config", "ifelse",
           "scan", "until", "fori_loop", "while_loop",
           "ConcretizationError", "SideEffectWarning", "BackgroundCompileWarning", "LoopWarning",
           "__version__",
           "grad", "value_and_grad", "jvp", "vjp", "hvp", "jacobian", "hessian"]
