"""Helpers shared by the tests: the in-process command-line runner."""
