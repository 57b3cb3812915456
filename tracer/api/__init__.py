"""The public API: compile, transforms, config."""
from .compile import Compiled, CompiledFunction, Lowered, compile
from .config import config

__all__ = ["Compiled", "CompiledFunction", "Lowered", "compile", "config"]
