"""`python -m tracer demo`: a short tour on built-in data; `cache info|clear`."""
from __future__ import annotations

import sys

from . import demo
from .cache import cli as cache_cli


def main(argv: list[str]) -> int:
    commands = {"demo": demo.run, "cache": cache_cli.run}
    if len(argv) < 1 or argv[0] not in commands:
        print("usage: python -m tracer demo | cache info|clear", file=sys.stderr)
        return 2
    return commands[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
