"""Helpers shared by the tests: the command-line runners, keys, secrets folders, Nix."""
