"""tracer's benchmark suite: workloads side by side with numpy and the installed peers.

Run `python benchmarks/run.py --help`; see benchmarks/README.md.
"""
