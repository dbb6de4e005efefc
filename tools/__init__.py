"""Offline tools: the mock runner, render and benchmarks."""
