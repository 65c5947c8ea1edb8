"""JSON values as Go's ``encoding/json`` reads them for ``--set-json``.

Python's ``json`` agrees with Go on almost everything; the differences that matter for Helm
are handled here: numbers become float64 (so ``1.0`` is ``1`` and ``1e400`` is an error),
``NaN``/``Infinity`` are not JSON, a number cut short (``1.``, ``2e``) is an error rather than
a shorter number, and a lone UTF-16 surrogate escape becomes U+FFFD.
"""

from __future__ import annotations

import json
import re
from typing import Any

from helmdeck.values.gonum import json_number

_GO_SPACE = " \t\r\n"
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class JSONValueError(ValueError):
    """Not a JSON value Go would accept; ``pos`` is the character index of the problem."""

    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.pos = pos


def _number(text: str) -> int | float:
    f = float(text)
    try:
        return json_number(f)
    except ValueError:
        raise ValueError(f"cannot unmarshal number {text} into a float64") from None


def _constant(name: str) -> Any:
    raise ValueError(f"invalid character {name[0]!r} looking for beginning of value")


_DECODER = json.JSONDecoder(parse_float=_number, parse_int=_number, parse_constant=_constant)


def _fix_surrogates(value: Any) -> Any:
    if type(value) is str:
        return _LONE_SURROGATE.sub("\ufffd", value)
    if type(value) is dict:
        return {_fix_surrogates(k): _fix_surrogates(v) for k, v in value.items()}
    if type(value) is list:
        return [_fix_surrogates(v) for v in value]
    return value


def decode_prefix(text: str, pos: int) -> tuple[Any, int]:
    """Go's ``json.Decoder.Decode`` of the value starting at ``text[pos]``: (value, end index).

    Like Go, the value ends where the grammar says it ends; what follows is left to the caller.
    """
    while pos < len(text) and text[pos] in _GO_SPACE:
        pos += 1
    if pos >= len(text):
        raise JSONValueError("unexpected end of JSON input", pos)
    try:
        value, end = _DECODER.raw_decode(text, pos)
    except json.JSONDecodeError as exc:
        raise JSONValueError(exc.msg, exc.pos) from None
    except (ValueError, RecursionError) as exc:
        raise JSONValueError(str(exc), pos) from None
    first = text[pos]
    if (first == "-" or first.isdigit()) and end < len(text):
        number = text[pos:end]
        nxt = text[end]
        if (nxt == "." and "." not in number and "e" not in number.lower()) or (
            nxt in "eE" and "e" not in number.lower()
        ):
            raise JSONValueError(f"invalid character {nxt!r} in numeric literal", end)
    if _SURROGATE_ESCAPE.search(text, pos, end):
        value = _fix_surrogates(value)
    return value, end


def unmarshal(text: str) -> Any:
    """Go's ``json.Unmarshal``: exactly one JSON value, only whitespace around it."""
    value, end = decode_prefix(text, 0)
    rest = end
    while rest < len(text) and text[rest] in _GO_SPACE:
        rest += 1
    if rest < len(text):
        raise JSONValueError(f"invalid character {text[rest]!r} after top-level value", rest)
    return value
