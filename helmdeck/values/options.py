"""Helm's ``values.Options.MergeValues``: every value flag, applied in Helm's order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from helmdeck.values import gojson, strvals
from helmdeck.values.errors import ValuesError
from helmdeck.values.merge import merge_values
from helmdeck.values.sections import load_source


@dataclass
class ValueOptions:
    """The ``-f``/``--set*`` flags of one command, each in the order given."""

    values: list[str] = field(default_factory=list)
    set: list[str] = field(default_factory=list)
    set_string: list[str] = field(default_factory=list)
    set_json: list[str] = field(default_factory=list)
    set_file: list[str] = field(default_factory=list)
    set_literal: list[str] = field(default_factory=list)


def _set_json_object(value: str) -> dict[str, Any]:
    try:
        parsed = gojson.unmarshal(value.strip())
    except gojson.JSONValueError as exc:
        raise ValuesError(
            f"--set-json {value!r}: not a JSON object: {exc} (at character {exc.pos + 1})"
        ) from None
    if type(parsed) is not dict:
        raise ValuesError(f"--set-json {value!r}: a value starting with '{{' must be a JSON object")
    return parsed


def merge_value_options(opts: ValueOptions,
                        read_file: Callable[[str], str] | None = None) -> dict[str, Any]:
    """The user-supplied values: files, then --set-json, --set, --set-string, --set-file,
    --set-literal, exactly as Helm combines them (before chart defaults are coalesced)."""
    base: dict[str, Any] = {}
    for spec in opts.values:
        base = merge_values(base, load_source(spec))
    for value in opts.set_json:
        trimmed = value.strip()
        if trimmed.startswith("{"):
            base = merge_values(base, _set_json_object(value))
        else:
            strvals.parse_set_json(value, base)
    for value in opts.set:
        strvals.parse_set(value, base)
    for value in opts.set_string:
        strvals.parse_set_string(value, base)
    for value in opts.set_file:
        if read_file is None:
            strvals.parse_set_file(value, base)
        else:
            strvals.parse_set_file(value, base, read_file)
    for value in opts.set_literal:
        strvals.parse_set_literal(value, base)
    return base
