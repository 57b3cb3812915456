"""One module per workload; each defines GROUP (a harness.Group). Listed in run order."""
from __future__ import annotations

import importlib

NAMES = ("overhead", "trace_time", "elementwise", "reductions", "hvp_rosen", "mlp_grad",
         "mlp_sgd", "rnn", "linalg", "cold_start", "first_result", "threads")


def load_groups() -> list:
    return [importlib.import_module(f"{__name__}.{name}").GROUP for name in NAMES]
