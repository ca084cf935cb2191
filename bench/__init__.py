"""Benchmarks run on demand (`python -m bench.<name>`), never by pytest."""
