"""One object per pickled function in each process, however often it arrives.

Compiled functions and transforms pickle by function and graph (see tr.compile's
module docstring), so receiving one costs a rebuild: its Lowered signatures are
made again and, on the first call, its executables loaded from the disk cache.
dask unpickles a task's function for every task and drops it afterwards; without
more, each task would pay that rebuild (a few milliseconds, more than a small
gradient takes).

So a pickled function carries a token, a random id given once to the object it
was pickled from. A process that receives a token it knows returns the object it
already has (adding any signatures shipped that it lacks), as pickling a module's
function by name does; a process that pickles and loads in itself gets its own
object back. Received objects are kept alive for a while (the last `KEPT` tokens)
so the next task finds them; others live as long as their users hold them.
"""
from __future__ import annotations

import threading
import uuid
import weakref
from collections import OrderedDict
from typing import Any, Callable, TypeVar

T = TypeVar("T")
KEPT = 32

_lock = threading.RLock()
# Tokens live beside the objects, not in their __dict__: functools.update_wrapper copies
# a wrapped function's __dict__, so `tr.compile(tr.grad(f))` would share grad's token.
_tokens: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()     # object -> token
_alive: weakref.WeakValueDictionary = weakref.WeakValueDictionary()   # token -> object
_recent: OrderedDict[str, Any] = OrderedDict()                       # received, held


def token_of(obj: Any) -> str:
    """The object's token, given on first use."""
    with _lock:
        token = _tokens.get(obj)
        if token is None:
            token = _tokens[obj] = uuid.uuid4().hex
            _alive[token] = obj
        return token


def received(token: str, make: Callable[[], T]) -> T:
    """The object this process has for `token`, made by `make()` the first time."""
    with _lock:
        found = _alive.get(token)
        if found is None:
            found = make()
            _tokens[found] = token
            _alive[token] = found
        _recent[token] = found
        _recent.move_to_end(token)
        while len(_recent) > KEPT:
            _recent.popitem(last=False)
        return found
