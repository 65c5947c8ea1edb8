"""Helm-exact values: YAML as Helm reads it, ``--set`` grammar, merge and coalesce.

Helm's behaviour is the specification; ``tests/values/test_differential.py`` compares every
function here with Helm's own Go engine.
"""
