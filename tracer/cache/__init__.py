"""On-disk cache of compiled C libraries, shared by every process of the user.

    from tracer.cache import compiled_library
    path = compiled_library(source, compiler=["cc"], flags=["-O3", "-shared", "-fPIC"])
"""
from .errors import CacheWarning, CompileError, CompilerNotFoundError
from .key import cache_key
from .location import cache_dir, default_cache_dir, set_cache_dir
from .store import clear, compile_count, compiled_library, compiled_object, info

__all__ = ["CacheWarning", "CompileError", "CompilerNotFoundError", "cache_dir", "cache_key",
           "clear", "compile_count", "compiled_library", "compiled_object", "default_cache_dir", "info",
           "set_cache_dir"]
