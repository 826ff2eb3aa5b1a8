"""Benchmarks for Digital Academy: `python -m bench [names…] [--learners N] [--quick]`."""
