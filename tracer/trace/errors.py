"""Errors that teach: each names the user's line and the fix."""
from __future__ import annotations

from ..ir import Loc


class ConcretizationError(TypeError):
    """A traced value was used where Python needs a concrete one."""


FIXES = {
    "bool": "a Python `if`/`while`/`and`/`or`/`not` needs a concrete bool, but this value "
            "depends on the traced inputs. Use np.where(cond, a, b) to choose elementwise, "
            "tr.ifelse(cond, a, b) to choose between whole values, or mark the argument "
            "static with static_argnums/static_argnames",
    "float": "float() needs a concrete number, but this value depends on the traced inputs. "
             "Keep it as an array (x.astype(np.float64)), or mark the argument static with "
             "static_argnums/static_argnames",
    "int": "int() needs a concrete number, but this value depends on the traced inputs. "
           "Keep it as an array (x.astype(np.int64)), or mark the argument static with "
           "static_argnums/static_argnames",
    "index": "this value is used as a Python index or size, but it depends on the traced "
             "inputs. Index with the traced array itself (x[i] with i an array), or mark "
             "the argument static with static_argnums/static_argnames",
    "array": "np.asarray/np.array needs concrete data, but this value depends on the traced "
             "inputs. Keep computing with numpy functions on it (they are traced), or mark "
             "the argument static with static_argnums/static_argnames",
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
