"""The public API: compile, transforms, config."""
from .compile import Compiled, CompiledFunction, Lowered, compile
from .config import config
from .control import ifelse
from .loops import fori_loop, scan, until, while_loop
from .transforms import grad, hessian, hvp, jacobian, jvp, value_and_grad, vjp

__all__ = ["Compiled", "CompiledFunction", "Lowered", "compile", "config",
           "ifelse", "scan", "until", "fori_loop", "while_loop", "grad", "value_and_grad", "jvp", "vjp", "hvp", "jacobian", "hessian"]
