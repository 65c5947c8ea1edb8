"""Helm's ``values.Options.MergeValues``: every value flag, applied in Helm's order.

One implementation for every way values arrive: ``helmdeck values effective`` reads files
from disk (``FILE[:section]``), an override update gets them as text (the CLI has already
read them, the REST API has them in the request body). Both go through
``merge_value_options``, so the order (files, ``--set-json``, ``--set``, ``--set-string``,
``--set-file``, ``--set-literal``) and the limits of ``limits.py`` are spelt once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from helmdeck.values import gojson, strvals
from helmdeck.values.errors import ValuesError
from helmdeck.values.limits import (
    MAX_SET_EXPRESSIONS,
    MAX_VALUES_SOURCES,
    NodeBudget,
    check_count,
    check_tree,
    name_input,
    too_deep,
)
from helmdeck.values.merge import merge_values
from helmdeck.values.sections import load_source
from helmdeck.values.yamlio import load_values


@dataclass(frozen=True)
class Document:
    """A values file already read: its YAML text, and the name errors give it."""

    text: str
    name: str


def documents(texts: Sequence[str]) -> list[Document]:
    """Values files given as text, in order, named ``values[i]`` in error messages."""
    return [Document(text, f"values[{i}]") for i, text in enumerate(texts)]


@dataclass(frozen=True)
class ValueOptions:
    """The ``-f``/``--set*`` flags of one command, each in the order given.

    ``values`` are ``FILE[:section]`` sources read from disk, or ``Document``s already read.
    """

    values: Sequence[str | Document] = ()
    set: Sequence[str] = ()
    set_string: Sequence[str] = ()
    set_json: Sequence[str] = ()
    set_file: Sequence[str] = ()
    set_literal: Sequence[str] = ()


def _load(source: str | Document, budget: NodeBudget) -> dict[str, Any]:
    if isinstance(source, Document):
        return load_values(source.text, source.name, budget)
    return load_source(source, budget)


def _set_json_object(value: str, budget: NodeBudget) -> dict[str, Any]:
    source = name_input("--set-json", value)
    try:
        parsed = gojson.unmarshal(value.strip())
    except gojson.JSONDepthError:
        raise too_deep(source) from None
    except gojson.JSONValueError as exc:
        raise ValuesError(
            f"--set-json {value!r}: not a JSON object: {exc} (at character {exc.pos + 1})"
        ) from None
    if type(parsed) is not dict:
        raise ValuesError(f"--set-json {value!r}: a value starting with '{{' must be a JSON object")
    budget.spend(source, check_tree(source, parsed))
    return parsed


def merge_value_options(opts: ValueOptions) -> dict[str, Any]:
    """The user-supplied values: files, then --set-json, --set, --set-string, --set-file,
    --set-literal, exactly as Helm combines them (before chart defaults are coalesced).

    Each expression is parsed INTO the result so far, as Helm does, so a list index refers
    to the list the files built. Counts are checked before anything is read, and every input
    draws on one ``NodeBudget`` (many small inputs can add up to one huge document).
    """
    check_count("values files", len(opts.values), MAX_VALUES_SOURCES)
    expressions = (len(opts.set) + len(opts.set_string) + len(opts.set_json)
                   + len(opts.set_file) + len(opts.set_literal))
    check_count("--set expressions", expressions, MAX_SET_EXPRESSIONS)
    budget = NodeBudget()
    base: dict[str, Any] = {}
    for source in opts.values:
        base = merge_values(base, _load(source, budget))
    for value in opts.set_json:
        if value.strip().startswith("{"):
            base = merge_values(base, _set_json_object(value, budget))
        else:
            strvals.parse_set_json(value, base, budget)
    for value in opts.set:
        strvals.parse_set(value, base, budget)
    for value in opts.set_string:
        strvals.parse_set_string(value, base, budget)
    for value in opts.set_file:
        strvals.parse_set_file(value, base, budget=budget)
    for value in opts.set_literal:
        strvals.parse_set_literal(value, base, budget)
    return base
