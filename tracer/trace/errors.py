"""Errors that teach: each names the user's line and the fix."""
from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

from ..ir import Loc


class ConcretizationError(TypeError):
    """A traced value was used where Python needs a concrete one."""


FIXES = {
    "bool": "a Python `if`/`while`/`and`/`or`/`not` needs a concrete bool, but this value "
            "depends on the traced inputs. Use np.where(cond, a, b) to choose elementwise, "
            "tr.ifelse(cond, a, b) to choose between whole values, tr.while_loop(cond_fn, "
            "body_fn, init) for a `while` loop, or mark the argument static with "
            "static_argnums/static_argnames",
    "float": "float() needs a concrete number, but this value depends on the traced inputs. "
             "Keep it as an array (x.astype(np.float64)), or mark the argument static with "
             "static_argnums/static_argnames",
    "int": "int() needs a concrete number, but this value depends on the traced inputs. "
           "Keep it as an array (x.astype(np.int64)), or mark the argument static with "
           "static_argnums/static_argnames",
    "format": "a format spec (f\"{x:.3f}\", format(x, \".3f\")) needs a concrete number, but "
              "this value depends on the traced inputs. Return it from the compiled function "
              "and format it outside; f\"{x}\" (no spec) shows the traced type",
    "index": "this value is used as a Python index or size, but it depends on the traced "
             "inputs. Index with the traced array itself (x[i] with i an array), or mark "
             "the argument static with static_argnums/static_argnames",
    "array": "np.asarray/np.array needs concrete data, but this value depends on the traced "
             "inputs. Keep computing with numpy functions on it (they are traced), or mark "
             "the argument static with static_argnums/static_argnames. A numpy array's own "
             "method given a traced value (a.dot(x) with a numpy a) converts it too: write "
             "np.dot(a, x) or a @ x",
    "item": ".item()/.tolist() needs concrete data, but this value depends on the traced "
            "inputs. Return the array from the compiled function and convert it outside",
}


def concretization_error(kind: str, loc: Loc | None, what: str) -> ConcretizationError:
    where = f" at {loc}" if loc else ""
    return ConcretizationError(f"tracer: {what}{where}: {FIXES[kind]}.")


def at_line(message: str, loc: Loc | None) -> str:
    return f"{message}\n  (traced at {loc})" if loc else message


def with_line(err: Exception, loc: Loc | None) -> Exception:
    """`err` again, its message naming the user's line (numpy's words stay first).

    Errors that already name a line, and those whose type cannot be rebuilt
    from a message, come back unchanged.
    """
    message = str(err)
    if loc is None or isinstance(err, ConcretizationError) or "(traced at " in message:
        return err
    try:
        located = type(err)(at_line(message, loc))
    except Exception:
        return err
    return located.with_traceback(err.__traceback__)


# Where the arguments of the call being traced are None (signature.none_arguments).
_none_arguments: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar(
    "none_arguments", default=())


@contextlib.contextmanager
def none_arguments_named(paths: tuple[str, ...]) -> Iterator[None]:
    """While tracing one call: which of its arguments are None, for none_operand_error."""
    token = _none_arguments.set(paths)
    try:
        yield
    finally:
        _none_arguments.reset(token)


def none_operand_error() -> TypeError:
    """None used as an array: name the arguments of the traced call that were None."""
    names = _none_arguments.get()
    got = "a traced numpy operation got None as an array"
    if not names:
        return TypeError(f"{got} (numpy would make it an object array, which tracer does "
                         "not support)")
    which = (f"argument {names[0]} is None" if len(names) == 1
             else f"arguments {', '.join(names)} are None")
    return TypeError(f"{which}, and {got}: pass an array, or test `is None` in Python "
                     "before computing with it")
