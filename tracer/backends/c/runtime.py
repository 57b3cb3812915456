"""The runtime, built once: the prelude split into a header and one object file.

The prelude (prelude.py, prelude_index.py: layout helpers, index and product plans, the
BLAS glue) used to be compiled again into every module. Now it is cut, mechanically, at
its top-level definitions into

* HEADER, at the top of every kernel file and every entry file: the includes, macros,
  types, `extern` declarations of the runtime's variables, prototypes of its functions,
  and the definitions of the few helpers that run inside hot loops (INLINE: each file
  keeps its own copy, so gcc still inlines them there);
* RUNTIME_SOURCE: every definition, no longer `static`, compiled once per compiler and
  flags into one object file in the cache and linked into each module.

All of it is compiled with `-fvisibility=hidden`: a module exports only what carries
TR_EXPORT (the entry functions and `tr_set_blas`), each module keeps its own copy of the
runtime's variables (the BLAS pointers), and nothing reaches the process's global symbol
namespace. Why an object and not a shared library: no symbol lookup across libraries
at run time, no library path baked into modules, and a module's BLAS state stays its own;
linking 100 KB of runtime into a module costs a few milliseconds. The call-time cost of
what can no longer be inlined (tr_collapse, tr_copy, the plans: called once per kernel
call, never per element) is measured in benchmarks/RESULTS.md.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .prelude import PRELUDE
from .prelude_index import PRELUDE_INDEX

# Helpers a kernel calls per block or per row: defined in the header (static, inlinable).
INLINE = frozenset({"tr_offset", "tr_prod", "tr_contig", "tr_alloc"})
EXPORT = '__attribute__((visibility("default")))'

_NAME = re.compile(r"([A-Za-z_]\w*)\s*\($")


@dataclass(frozen=True)
class Item:
    """One top-level piece of C text: a preprocessor line, a definition, a declaration."""
    text: str
    kind: str            # "pp" (preprocessor line or comment), "function", "other"
    name: str = ""       # a function's name
    head: str = ""       # a function's text before its body's `{`


def _skip(text: str, i: int) -> int:
    """Past a comment or a string/char literal starting at i (else i unchanged)."""
    if text.startswith("/*", i):
        return text.index("*/", i + 2) + 2
    if text.startswith("//", i):
        end = text.find("\n", i)
        return len(text) if end < 0 else end
    if text[i] in "\"'":
        quote, j = text[i], i + 1
        while text[j] != quote:
            j += 2 if text[j] == "\\" else 1
        return j + 1
    return i


def _preprocessor_end(text: str, i: int) -> int:
    """End (past the newline) of the preprocessor line starting at i, continuations included."""
    while True:
        end = text.find("\n", i)
        if end < 0:
            return len(text)
        if text[end - 1] != "\\":
            return end + 1
        i = end + 1


def split(text: str) -> list[Item]:
    """`text`'s top-level items, in order (C with balanced braces)."""
    items: list[Item] = []
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            break
        if text[i] == "#":
            end = _preprocessor_end(text, i)
            items.append(Item(text[i:end], "pp"))
            i = end
            continue
        if text.startswith("/*", i) or text.startswith("//", i):
            end = _skip(text, i)
            items.append(Item(text[i:end], "pp"))       # a comment: kept as is
            i = end
            continue
        start, depth, head = i, 0, ""
        while i < n:
            j = _skip(text, i)
            if j != i:
                i = j
                continue
            c = text[i]
            if c == "{":
                if depth == 0:
                    head = text[start:i]
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0 and head.rstrip().endswith(")"):
                    i += 1
                    break                     # the end of a function's body
            elif c == ";" and depth == 0:
                i += 1
                break
            i += 1
        body = text[start:i]
        if head.rstrip().endswith(")"):
            name = _function_name(head)
            items.append(Item(body, "function", name, head.rstrip()))
        else:
            items.append(Item(body, "other"))
    return items


def _function_name(head: str) -> str:
    """The name in `static int tr_copy(int r, ...)`: the identifier before the first '('."""
    head = re.sub(r"__attribute__\(\(.*?\)\)\s*", "", head)
    match = _NAME.search(head[:head.index("(") + 1])
    return match.group(1) if match else ""


def _unstatic(text: str) -> str:
    return re.sub(r"^static\s+(inline\s+)?", "", text)


def _declaration(item: Item) -> str:
    """The header's line for a top-level item that is not a function definition."""
    text = item.text.strip()
    if text.startswith("static ") and "(" not in text.split("=")[0]:   # a variable
        text = re.sub(r"\s*=\s*[^,;]+", "", _unstatic(text))
        return "extern " + text
    return text


def build(text: str) -> tuple[str, str]:
    """(header, runtime source) of the prelude text (see the module docstring)."""
    header: list[str] = []
    runtime: list[str] = []
    for item in split(text):
        if item.kind == "pp":
            header.append(item.text.rstrip("\n"))
            runtime.append(item.text.rstrip("\n"))
        elif item.kind == "function":
            exported = not item.text.startswith("static")
            if item.name in INLINE:
                header.append(item.text)
                runtime.append(item.text)
                continue
            attribute = EXPORT + " " if exported else ""
            header.append(attribute + _unstatic(item.head) + ";")
            runtime.append(attribute + _unstatic(item.text))
        else:
            header.append(_declaration(item))
            runtime.append(_unstatic(item.text.strip()) if "(" not in item.text.split("=")[0]
                           else item.text.strip())
    return "\n".join(header) + "\n", "\n".join(runtime) + "\n"


_VISIBILITY = f"#define TR_EXPORT {EXPORT}\n"
HEADER, RUNTIME_SOURCE = build(PRELUDE + "\n" + PRELUDE_INDEX)
HEADER = _VISIBILITY + HEADER
RUNTIME_SOURCE = _VISIBILITY + RUNTIME_SOURCE
