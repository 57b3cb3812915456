"""What traces, listed from the tables tracing dispatches on (so the list cannot drift).

`markdown()` is the README's "What traces" section between its markers;
tests/test_docs.py checks that the README holds exactly this text. After adding a
function, regenerate it:  python -m tracer.trace.numpy_api.catalog --write README.md
"""
from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

from .. import array_entry
from ..dispatch import METHODS
from . import FUNCTIONS, scipy_linalg, scipy_special, scipy_stats
from .selection import _data_dependent
from .ufuncs import SCIPY_BUILDERS, UFUNC_BUILDERS

BEGIN = "<!-- catalog:begin (python -m tracer.trace.numpy_api.catalog --write README.md) -->"
END = "<!-- catalog:end -->"
_REFUSED = _data_dependent("x", "x").__code__     # the data-dependent shape refusals


def _names() -> dict[str, set[str]]:
    groups: dict[str, set[str]] = defaultdict(set)
    for function, implementation in FUNCTIONS.items():
        home = function.__module__ if function.__module__ in ("numpy.linalg", "numpy.fft") \
            else "numpy"
        refused = getattr(implementation, "__code__", None) is _REFUSED
        groups["refused" if refused else home].add(f"np.{function.__name__}" if refused
                                                   else function.__name__)
    groups["numpy"].update(array_entry._NAMES + array_entry._CREATORS)
    groups["numpy"].update(("r_", "c_"))
    groups["ufunc"] = {u.__name__ for u in UFUNC_BUILDERS}
    groups["scipy.special"] = set(SCIPY_BUILDERS) | set(scipy_special.TRACED)
    groups["scipy.linalg"] = set(scipy_linalg.TRACED)
    groups["scipy.stats"] = set(scipy_stats.TRACED)
    groups["ndarray"] = {name for name in METHODS if not name.startswith("__")}
    return groups


_TITLES = [
    ("numpy", "numpy functions (`np.`)"),
    ("ufunc", "numpy ufuncs (every dtype numpy's loops take; `out=`, `.reduce`)"),
    ("numpy.linalg", "`np.linalg`"),
    ("numpy.fft", "`np.fft`"),
    ("scipy.special", "`scipy.special`"),
    ("scipy.linalg", "`scipy.linalg`"),
    ("scipy.stats", "`scipy.stats` (frozen distributions too, but not a frozen "
                    "multivariate_normal)"),
    ("ndarray", "array methods and attributes (besides operators and indexing)"),
    ("refused", "refused at trace time with the fix named (the result's shape depends on "
                "the data)"),
]


def markdown() -> str:
    groups = _names()
    lines = [BEGIN, "| | |", "|---|---|"]
    for key, title in _TITLES:
        names = ", ".join(f"`{n}`" for n in sorted(groups[key]))
        lines.append(f"| {title} | {names} |")
    lines.append(END)
    return "\n".join(lines)


def write(path: str) -> None:
    """Replace the README's section between the markers with markdown()."""
    text = Path(path).read_text()
    start, end = text.index(BEGIN), text.index(END) + len(END)
    Path(path).write_text(text[:start] + markdown() + text[end:])


if __name__ == "__main__":
    if sys.argv[1:2] == ["--write"]:
        write(sys.argv[2])
    else:
        print(markdown())
