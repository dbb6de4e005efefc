"""Tools around the program: the mock harness (harness/) that the tests, the render and the bench
share, and the two commands, `python -m tools.render` (render/) and `python -m tools.bench`
(bench/)."""
