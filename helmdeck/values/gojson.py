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
from helmdeck.values.limits import MAX_DEPTH

_GO_SPACE = " \t\r\n"
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_BRACKET_OR_STRING = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{}]', re.S)


class JSONValueError(ValueError):
    """Not a JSON value Go would accept; ``pos`` is the character index of the problem."""

    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.pos = pos


class JSONDepthError(JSONValueError):
    """Nesting beyond ``limits.MAX_DEPTH``: helmdeck's limit, not Go's grammar."""


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


def _check_depth(text: str, pos: int, levels: int) -> None:
    """Refuse a value starting at ``text[pos]`` with more than ``levels`` nested brackets.

    A scan of the text (strings skipped), before the recursive decoder and everything after
    it sees the value; it stops where the value's outermost bracket closes.
    """
    depth = 0
    for m in _BRACKET_OR_STRING.finditer(text, pos):
        c = m.group()
        if c == "[" or c == "{":
            depth += 1
            if depth > levels:
                raise JSONDepthError(
                    f"nested deeper than {MAX_DEPTH} levels of maps and lists; flatten it",
                    m.start())
        elif c == "]" or c == "}":
            depth -= 1
            if depth == 0:
                return


def decode_prefix(text: str, pos: int, level: int = 0) -> tuple[Any, int]:
    """Go's ``json.Decoder.Decode`` of the value starting at ``text[pos]``: (value, end index).

    Like Go, the value ends where the grammar says it ends; what follows is left to the caller.
    ``level`` is where the value will sit (0: it is a whole document); nesting that would go
    beyond ``limits.MAX_DEPTH`` there is refused before decoding. The decoded value's nodes
    are not counted here: ``limits.check_tree`` does that, knowing the input's name.
    """
    while pos < len(text) and text[pos] in _GO_SPACE:
        pos += 1
    if pos >= len(text):
        raise JSONValueError("unexpected end of JSON input", pos)
    if text[pos] in "[{":
        # +1: the innermost container may be empty; check_tree then applies the exact rule
        _check_depth(text, pos, MAX_DEPTH - level + 1)
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
