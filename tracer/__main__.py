"""`python -m tracer demo`: a short tour on built-in data; `cache info|clear`; `--help`."""
from __future__ import annotations

import sys

from . import demo
from .cache import cli as cache_cli

USAGE = "usage: python -m tracer demo | cache info|clear | --help"

HELP = f"""{USAGE}

tracer: write ordinary numpy, get a compiled, differentiable function.

commands:
  demo          a short tour on built-in data: trace a numpy function, one trace per
                signature, derivatives (grad, hvp), errors that name your line
  cache info    where the on-disk cache of compiled C libraries is, its entries and size
  cache clear   remove every entry of the on-disk cache
  --help, -h, help
                this text (`python -m tracer cache --help`: the cache commands)

environment variables (read when tracer is imported; tr.config.backend, .num_threads,
.cache_dir, .optimize and .disabled_passes change the first five in a running process):
  TRACER_BACKEND       backend of tr.compile: c (default) or python (the reference
                       executor, numpy op by op); cuda is not available yet
  TRACER_NUM_THREADS   threads the generated C code may use (default: all cores)
  TRACER_ADAPT_THREADS 0 runs every call on exactly that many threads; by default each
                       function runs on them or on one, whichever it measured faster
                       (on a machine whose cores other programs keep busy)
  TRACER_CACHE_DIR     the on-disk cache folder (default $XDG_CACHE_HOME/tracer, else
                       ~/.cache/tracer); a folder others can write is refused
  TRACER_CACHE_MAX_BYTES
                       the cache's size limit (default 2G; K, M, G suffixes; 0: none):
                       past it the least recently used entries are removed
  TRACER_BACKGROUND_COMPILE
                       0 makes the first call of a new function wait for the C
                       compiler; by default it runs on the reference executor while
                       the module builds in the background (tr.config.background_compile)
  TRACER_OPTIMIZE      0 turns the graph optimizer off for new traces (default 1)
  TRACER_DISABLE_PASSES
                       optimizer passes to skip, comma-separated (canonicalize,
                       stabilize, loops, branches, specialize, cleanup, loop_bodies);
                       default none
  TRACER_BLAS          scipy or numpy: whose bundled OpenBLAS the C backend calls
                       (default: the newer release of the two)
  TRACER_CFLAGS_EXTRA  extra flags for the C compiler (e.g. -fsanitize=address)
  CC                   the C compiler (default cc); without one, the C backend falls
                       back to the reference executor with a warning
"""

HELP_WORDS = ("--help", "-h", "help")


def main(argv: list[str]) -> int:
    commands = {"demo": demo.run, "cache": cache_cli.run}
    if len(argv) == 1 and argv[0] in HELP_WORDS:
        print(HELP, end="")
        return 0
    if len(argv) < 1 or argv[0] not in commands:
        print(USAGE, file=sys.stderr)
        print("(python -m tracer --help: the commands and environment variables)",
              file=sys.stderr)
        return 2
    return commands[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
