"""Benchmarks of issue 3 (not timed tests): results go to docs/benchmarks.md."""
