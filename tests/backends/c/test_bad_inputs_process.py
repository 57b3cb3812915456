"""Bad input to compiled C code, in a child process: the process never dies, each case
raises the error numpy would (TypeError/ValueError naming the argument, IndexError for
an index out of bounds), and odd but valid arrays (misaligned, byte-swapped, negative
and zero strides, read-only, aliased donated buffers) give numpy's values."""
from __future__ import annotations

import os
import re
import subprocess
import sys

from .support import needs_cc

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

CHILD = r'''
import re, sys
import numpy as np
import tracer as tr

X, Y = np.arange(6.0).reshape(2, 3), np.ones((2, 3))
add = tr.compile(lambda x, y: x * y + x, backend="c")
fixed = add.lower(X, Y).compile()
take = tr.compile(lambda x, i: x[i] * 2.0, backend="c")
power = tr.compile(lambda a, b: a ** b, backend="c")
update = tr.compile(lambda w, g: w - 0.1 * g, backend="c", donate_argnums=0)
tree = tr.compile(lambda p: p["w"] @ p["v"], backend="c")

def raises(name, error, pattern, call):
    try:
        call()
    except error as err:
        if not re.search(pattern, str(err)):
            sys.exit(f"{name}: message {str(err)!r} does not match {pattern!r}")
        print("ok", name)
        return
    except BaseException as err:
        sys.exit(f"{name}: raised {type(err).__name__}: {err}, expected {error.__name__}")
    sys.exit(f"{name}: no error, expected {error.__name__}")

def same(name, got, want):
    got = np.asarray(got)
    if got.dtype != want.dtype or got.shape != want.shape or not np.allclose(got, want, equal_nan=True):
        sys.exit(f"{name}: got {got!r}, want {want!r}")
    print("ok", name)

raises("dtype", TypeError, r"argument y: expected f64\[2,3\], got f32", lambda: fixed(X, Y.astype(np.float32)))
raises("shape", TypeError, r"argument y: expected f64\[2,3\], got f64\[3,2\]", lambda: fixed(X, Y.T.copy()))
raises("rank", TypeError, r"argument x: expected f64\[2,3\], got f64\[6\]", lambda: fixed(X.ravel(), Y))
raises("string", TypeError, r"argument y: .*got str", lambda: add(X, "text"))
# None is an empty pytree (as in JAX): the function itself then fails, at the user's line
raises("none", TypeError, r"argument x is None.*\n.*traced at", lambda: add(None, Y))
raises("object dtype", TypeError, r"argument y: .*dtype object", lambda: add(X, np.array([1, "a"], dtype=object)))
# a list is a pytree of Python scalars: numpy's own error for a ragged one, at the user's line
raises("ragged list", ValueError, r"inhomogeneous.*\n.*traced at", lambda: add(X, [[1.0], [1.0, 2.0]]))
raises("missing", TypeError, r"'y'", lambda: add(X))
raises("pytree", TypeError, r"argument p\['v'\]: .*got str", lambda: tree({"w": X, "v": "v"}))
raises("index high", IndexError, r"index 7 is out of bounds for axis 0 with size 2", lambda: take(X, np.array([0, 7])))
raises("index low", IndexError, r"index -3 is out of bounds for axis 0 with size 2", lambda: take(X, np.array([-3])))
raises("negative power", ValueError, r"negative integer powers", lambda: power(np.array([2, 3]), np.array([1, -1])))

same("index ok", take(X, np.array([1, -1, 0])), X[[1, -1, 0]] * 2.0)
odd = np.zeros(6 * 8 + 1, np.uint8)[1:].view(np.float64).reshape(2, 3)
odd[...] = X
same("misaligned", add(odd, Y), X * Y + X)
same("byte-swapped", add(X.astype(">f8"), Y), X * Y + X)
same("negative strides", add(X[::-1, ::-1], Y), X[::-1, ::-1] * Y + X[::-1, ::-1])
same("zero strides", add(np.broadcast_to(X[:1], (2, 3)), Y), np.broadcast_to(X[:1], (2, 3)) * Y + X[:1])
frozen = X.copy(); frozen.flags.writeable = False
same("read-only donated", update(frozen, Y), X - 0.1 * Y)
same("read-only untouched", frozen, X)
big = np.arange(40000.0)
same("donated twice", update(big, big), big - 0.1 * np.arange(40000.0))
w = np.arange(40000.0)
same("donated view of another", update(w[:20000], w[20000:]), np.arange(20000.0) - 0.1 * np.arange(20000.0, 40000.0))
same("empty", add(np.zeros((0, 3)), np.zeros((0, 3))), np.zeros((0, 3)))
with np.errstate(all="ignore"):
    special = np.array([[np.nan, np.inf, -np.inf], [0.0, -0.0, 1e308]])
    same("nan and inf", add(special, np.full((2, 3), 2.0)), special * 2.0 + special)
print("done")
'''


@needs_cc
def test_bad_inputs_never_kill_the_process():
    done = subprocess.run([sys.executable, "-c", CHILD], cwd=ROOT, capture_output=True,
                          text=True, timeout=600, env=dict(os.environ, PYTHONPATH=ROOT))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    lines = done.stdout.split("\n")
    assert lines.count("done") == 1
    cases = len(re.findall(r"^\s*(?:raises|same)\(", CHILD, re.M))
    assert sum(line.startswith("ok ") for line in lines) == cases, done.stdout
