"""Turning an update's inputs (value documents and ``--set`` expressions) into one map.

The files arrive as text (the CLI has already resolved ``FILE:section``; the REST API gets
them in the request body), so this mirrors Helm's ``values.Options.MergeValues`` order on
text: documents merged in order, then ``--set-json``, ``--set``, ``--set-string``, each
expression parsed INTO the result so far, as Helm does (a list index refers to the list the
files built).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from helmdeck.values import strvals
from helmdeck.values.merge import merge_values
from helmdeck.values.options import ValueOptions, merge_value_options
from helmdeck.values.yamlio import load_values


def parse_inputs(
    files: Sequence[str] = (),
    set: Sequence[str] = (),
    set_string: Sequence[str] = (),
    set_json: Sequence[str] = (),
) -> dict[str, Any]:
    """The values the inputs describe; ValuesError (exit 2 / 400) names the bad input."""

    base: dict[str, Any] = {}
    for i, text in enumerate(files):
        base = merge_values(base, load_values(text, f"values[{i}]"))
    for expr in set_json:
        if expr.strip().startswith("{"):
            # Helm merges the JSON-object form like a file; the values engine owns that parse.
            base = merge_values(base, merge_value_options(ValueOptions(set_json=[expr])))
        else:
            strvals.parse_set_json(expr, base)
    for expr in set:
        strvals.parse_set(expr, base)
    for expr in set_string:
        strvals.parse_set_string(expr, base)
    return base
