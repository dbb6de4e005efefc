"""`python -m tools.bench`: the benchmarks (command.py), each evaluation sample a fresh process
(probe.py)."""
