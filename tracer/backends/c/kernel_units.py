"""One kernel per distinct computation, each a C file of its own.

A module is compiled from several files: one per distinct kernel (the runtime header,
the helpers the kernel calls, the kernel) and one entry file (the header, the kernels'
prototypes, the entry function and any loop bodies). A fused loop is rendered under a
placeholder name and then named by a hash of its text, so loops that differ only in
their buffers, sizes and strides (every step of an unrolled loop) are one kernel: the
module's source grows with the number of distinct kernels, not with the number of
steps, and a kernel file is compiled once for every graph that uses it (build.py keeps
one object file per kernel in the cache). The other kernels (kernels_c.py) are named
by their operation and dtype already, which determine their text.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from .runtime import HEADER


@dataclass
class _Kernel:
    text: str                       # its C, the main function not static
    helpers: dict[str, str]         # helper name -> definition, used by this kernel
    prototype: str                  # `int name(...);`


def _exported(name: str, text: str) -> tuple[str, str]:
    """(text with `name`'s definition not static, its prototype). A kernel's definition
    starts a line, `static int name(params) {`, its parameters holding no brace."""
    found = re.search(rf"^static\s+(int\s+{re.escape(name)}\s*\([^{{;]*\))\s*\{{", text, re.M)
    if found is None:
        raise ValueError(f"kernel {name!r}: no function of that name in its text")
    public = text[:found.start()] + text[found.start():].replace("static ", "", 1)
    return public, found.group(1) + ";"


@dataclass
class KernelSet:
    """The distinct kernels of one module, in first-use order."""

    PLACEHOLDER = "tr_kernel_name"
    kernels: dict[str, _Kernel] = field(default_factory=dict)

    def add(self, name: str, text: str, helpers: dict[str, str] | None = None) -> str:
        """Register kernel `name` (its C defines `static int name(...)`); its name."""
        if name not in self.kernels:
            public, prototype = _exported(name, text)
            self.kernels[name] = _Kernel(public, dict(helpers or {}), prototype)
        return name

    def add_fused(self, text: str, helpers: dict[str, str]) -> str:
        """A kernel rendered under PLACEHOLDER, named by its text and helpers."""
        material = "\n".join([*helpers.values(), text]).encode()
        name = "g_" + hashlib.sha256(material).hexdigest()[:16]
        return self.add(name, text.replace(self.PLACEHOLDER, name), helpers)

    def __contains__(self, name: str) -> bool:
        return name in self.kernels

    def files(self) -> dict[str, str]:
        """Kernel name -> the C file it is compiled from."""
        return {name: "\n".join([HEADER, *k.helpers.values(), k.text])
                for name, k in self.kernels.items()}

    def entry_file(self, body: str) -> str:
        """The entry file: the header, every kernel's prototype, then `body`."""
        prototypes = "\n".join(k.prototype for k in self.kernels.values())
        return "\n".join([HEADER, "/* the module's kernels (each in its own object) */",
                          prototypes, body])

    def whole(self, entry_file: str) -> str:
        """The module as one C text, to read (each helper once, each kernel once)."""
        helpers: dict[str, str] = {}
        for k in self.kernels.values():
            helpers.update(k.helpers)
        body = entry_file[len(HEADER):] if entry_file.startswith(HEADER) else entry_file
        return "\n".join([HEADER, *helpers.values(),
                          *(k.text for k in self.kernels.values()), body])
