"""Benchmarks of jobgraph: build, validate and stored queries on the shipped and synthetic data."""
