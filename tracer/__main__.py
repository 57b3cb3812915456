"""`python -m tracer demo`: a short tour on built-in data."""
from __future__ import annotations

import sys

from . import demo


def main(argv: list[str]) -> int:
    commands = {"demo": demo.run}
    if len(argv) < 1 or argv[0] not in commands:
        print("usage: python -m tracer demo", file=sys.stderr)
        return 2
    return commands[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
