"""Shared pytest fixtures: the private SPARQL servers of tests/servers.py."""

pytest_plugins = ["servers"]
