"""YAML in and out exactly as Helm reads values files.

Helm (``loader.LoadValues``) splits a file on ``---`` lines, reads each document with
sigs.k8s.io/yaml (go-yaml v2: YAML 1.1 scalars, so ``on``/``y``/``no`` are booleans), turns
map keys into strings, sends everything through ``encoding/json`` (every number becomes a
float64) and deep-merges the documents. This module reproduces that from libyaml's event
stream, without PyYAML's own (different) scalar resolution, and with go-yaml's alias budget so
a billion-laughs document fails after a few thousand steps instead of eating the machine.
"""

from __future__ import annotations

import base64
import json
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from yaml import _yaml as _libyaml

from helmdeck.values import tree
from helmdeck.values.errors import ValuesError
from helmdeck.values.gonum import float32_key, format_go_float, json_number
from helmdeck.values.limits import (
    MAX_DEPTH,
    MAX_DOCUMENTS,
    MAX_KEY_CHARS,
    MAX_NODES,
    MAX_STRING_CHARS,
    NodeBudget,
    check_document_text,
    read_bytes,
)
from helmdeck.values.merge import merge_values

_TAG = "tag:yaml.org,2002:"
_STR, _BINARY, _MERGE = _TAG + "str", _TAG + "binary", _TAG + "merge"
_RESOLVABLE = {"", _STR, _TAG + "bool", _TAG + "int", _TAG + "float", _TAG + "null",
               _TAG + "timestamp"}

_NULL = object()  # resolve-table marker for null (None is "not in the table")
_MAP_WORDS: dict[str, tuple[str, Any]] = {}
for _words, _kind, _val in (
    ("y Y yes Yes YES true True TRUE on On ON", "bool", True),
    ("n N no No NO false False FALSE off Off OFF", "bool", False),
    ("~ null Null NULL", "null", None),
    (".nan .NaN .NAN", "float", math.nan),
    (".inf .Inf .INF +.inf +.Inf +.INF", "float", math.inf),
    ("-.inf -.Inf -.INF", "float", -math.inf),
    ("<<", "merge", "<<"),
):
    for _w in _words.split():
        _MAP_WORDS[_w] = (_kind, _val)
_MAP_WORDS[""] = ("null", None)

_GO_INT = re.compile(
    r"([+-]?)(?:0[xX]([0-9a-fA-F]+)|0[oO]([0-7]+)|0[bB]([01]+)|0([0-7]*)|([1-9][0-9]*))"
)
_YAML_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_DOT_FLOAT = re.compile(r"\.[0-9]+(?:[eE][-+]?[0-9]+)?")
_SIGNED_BIN = re.compile(r"[+-]?[01]+")
_TIMESTAMP = re.compile(
    r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
    r"(?:[Tt ][0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(?:\.[0-9]+)?(?:Z|[+-][0-9]{2}:[0-9]{2})?)?"
)
_SEPARATOR = re.compile(r"^---", re.MULTILINE)
_DIGITS = re.compile(r"-?[0-9]+")
_INT64_MIN, _INT64_MAX, _UINT64_MAX = -(2**63), 2**63 - 1, 2**64 - 1

# go-yaml v2's alias budget (decode.go allowedAliasRatio).
_ALIAS_LOW, _ALIAS_HIGH = 400_000, 4_000_000


def _parse_go_int(plain: str) -> tuple[str, int] | None:
    """``strconv.ParseInt(plain, 0, 64)`` then ``ParseUint``; None when neither accepts it."""
    m = _GO_INT.fullmatch(plain)
    if m is None:
        return None
    sign, hexd, octo, bina, octal0, dec = m.groups()
    if hexd is not None:
        n = int(hexd, 16)
    elif octo is not None:
        n = int(octo, 8)
    elif bina is not None:
        n = int(bina, 2)
    elif octal0 is not None:
        n = int(octal0 or "0", 8)
    else:
        n = int(dec)
    if sign == "-":
        n = -n
    if _INT64_MIN <= n <= _INT64_MAX:
        return "int", n
    if not sign and n <= _UINT64_MAX:
        return "uint", n
    return None


def resolve_plain(text: str) -> tuple[str, Any]:
    """go-yaml v2 ``resolve("", text)``: the (kind, value) of an untagged plain scalar.

    Kinds: str, null, bool, int, uint, float, merge. Timestamps stay strings, as go-yaml
    returns them for ``interface{}`` targets.
    """
    if not text:
        return "null", None
    c = text[0]
    if c in "yYnNtTfFoO~<":
        return _MAP_WORDS.get(text, ("str", text))
    if c == ".":
        hit = _MAP_WORDS.get(text)
        if hit is not None:
            return hit
        if _DOT_FLOAT.fullmatch(text):
            f = float(text)
            if not math.isinf(f):
                return "float", f
        return "str", text
    if c in "0123456789+-":
        hit = _MAP_WORDS.get(text) if c in "+-" else None
        if hit is not None:
            return hit
        plain = text.replace("_", "") if "_" in text else text
        as_int = _parse_go_int(plain)
        if as_int is not None:
            return as_int
        if _YAML_FLOAT.fullmatch(plain):
            f = float(plain)
            if not math.isinf(f):
                return "float", f
        if plain.startswith("0b") and _SIGNED_BIN.fullmatch(plain[2:]):
            n = int(plain[2:], 2)
            if _INT64_MIN <= n <= _INT64_MAX:
                return "int", n
            if n > 0 and n <= _UINT64_MAX and plain[2] != "+":
                return "uint", n
        return "str", text
    return "str", text


def _resolve_tagged(tag: str, text: str) -> tuple[str, Any]:
    """go-yaml v2 ``resolve(tag, text)`` for an explicitly tagged scalar."""
    if tag == _STR or tag not in _RESOLVABLE:
        return "str", text
    if tag == _BINARY:
        return "str", _decode_binary(text)
    want = tag[len(_TAG):]
    if want == "timestamp" and _TIMESTAMP.fullmatch(text):
        return "str", text
    kind, value = resolve_plain(text)
    have = {"uint": "int"}.get(kind, kind)
    if have == want or (want == "float" and kind == "int"):
        return ("float", float(value)) if want == "float" else (kind, value)
    raise _SemanticError(f"cannot decode !!{have} `{text}` as a !!{want}")


def _decode_binary(text: str) -> str:
    try:
        data = base64.b64decode("".join(text.split()), validate=True)
    except ValueError as exc:
        raise _SemanticError("!!binary value contains invalid base64 data") from exc
    return data.decode("utf-8", errors="replace")


class _SemanticError(Exception):
    """A go-yaml/JSON decode failure, located by the caller."""


def _key_string(key: Any) -> str:
    """sigs.k8s.io/yaml's conversion of a typed go-yaml map key to a JSON object key."""
    kind, value = key
    if kind == "bool":
        return "true" if value else "false"
    if kind == "int":
        return str(value)
    if kind == "float":
        return float32_key(value)
    if kind == "null":
        raise _SemanticError("unsupported map key of type nil (a null key); quote it or remove it")
    raise _SemanticError(f"unsupported map key of type uint64 ({value}); quote the key")


def _value(kind: str, value: Any) -> Any:
    if kind in ("int", "uint", "float"):
        try:
            return json_number(value)
        except ValueError:
            raise _SemanticError(
                f"json: unsupported value: {format_go_float(value)}; quote it if a string is meant"
            ) from None
    return value


def _allowed_alias_ratio(decodes: int) -> float:
    if decodes <= _ALIAS_LOW:
        return 0.99
    if decodes >= _ALIAS_HIGH:
        return 0.10
    return 0.99 - 0.89 * ((decodes - _ALIAS_LOW) / (_ALIAS_HIGH - _ALIAS_LOW))


def _height(value: Any) -> int:
    """Levels of maps and lists below ``value`` (0 for a scalar or an empty container)."""
    height = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, level = stack.pop()
        children = node.values() if type(node) is dict else node if type(node) is list else ()
        for child in children:
            height = max(height, level + 1)
            stack.append((child, level + 1))
    return height


class _Frame:
    """A mapping or sequence under construction."""

    __slots__ = ("anchor", "col", "container", "has_typed_keys", "is_map", "key", "key_set",
                 "line", "merge", "merge_parts", "start")

    def __init__(self, is_map: bool, anchor: str | None, start: int, line: int, col: int,
                 merge: int) -> None:
        self.is_map = is_map
        self.container: Any = {} if is_map else []
        self.anchor = anchor
        self.start = start
        self.line = line
        self.col = col
        self.key: Any = None
        self.key_set = False
        self.has_typed_keys = False
        # 0: ordinary; 1: mapping that is a merge value; 2: sequence of merge values
        self.merge = merge
        self.merge_parts: list[dict[Any, Any]] = []


_IN_PROGRESS = object()


class _Decoder:
    """Builds one document from libyaml events with go-yaml v2's decode semantics."""

    def __init__(self, text: str, budget: int) -> None:
        self.parser = _libyaml.CParser(text)
        self.anchors: dict[str, Any] = {}
        self.decodes = 0
        self.budget = budget  # nodes left for this document (earlier ones used the rest)
        self.aliased = 0

    def _check_aliases(self) -> None:
        if (self.aliased > 100 and self.decodes > 1000
                and self.aliased / self.decodes > _allowed_alias_ratio(self.decodes)):
            raise _SemanticError(
                "document contains excessive aliasing (alias expansion bounded like Helm's)"
            )

    def _check_bounds(self, level: int) -> None:
        """Refuse a value at ``level`` (a top-level key is at 1) or one node too many."""
        if level > MAX_DEPTH:
            raise _SemanticError(
                f"nested deeper than {MAX_DEPTH} levels of maps and lists; flatten it")
        if self.decodes > self.budget:
            raise _SemanticError(
                f"more than {MAX_NODES} keys, values and list items in all (aliases "
                "expanded); split the values or drop what the chart does not need")

    @staticmethod
    def _check_scalar(text: str, parent: _Frame | None) -> None:
        """Refuse an over-long key, or an over-long string value."""
        if parent is not None and parent.is_map and not parent.key_set:
            raise _SemanticError(
                f"a key of {len(text)} characters; keys may have at most {MAX_KEY_CHARS}")
        if len(text) > MAX_STRING_CHARS:
            raise _SemanticError(f"a string of {len(text)} characters; strings may have "
                                 f"at most {MAX_STRING_CHARS}")

    def decode(self) -> tuple[Any, bool]:
        """Return (value, found a document)."""
        get: Callable[[], Any] = self.parser.get_event
        get()  # stream start
        event = get()
        if isinstance(event, yaml.StreamEndEvent):
            return None, False
        self.decodes += 1  # the document node
        stack: list[_Frame] = []
        result: Any = None
        done = False
        ScalarEvent, AliasEvent = yaml.ScalarEvent, yaml.AliasEvent
        MappingStartEvent, SequenceStartEvent = yaml.MappingStartEvent, yaml.SequenceStartEvent
        anchors = self.anchors
        while not done:
            event = get()
            cls = event.__class__
            parent = stack[-1] if stack else None
            merge_child = 0
            if parent is not None and parent.is_map and not parent.key_set:
                if (cls is ScalarEvent and event.value == "<<"
                        and (event.implicit[0] or event.tag == _MERGE)):
                    parent.key = _MERGE
                    parent.key_set = True
                    continue
            elif parent is not None and parent.is_map and parent.key is _MERGE:
                merge_child = 1
            elif parent is not None and parent.merge == 2:
                merge_child = 2
            mark: Any = event.start_mark
            try:
                if cls is ScalarEvent:
                    self.decodes += 1
                    if self.aliased > 100:
                        self._check_aliases()
                    if len(stack) > MAX_DEPTH or self.decodes > self.budget:
                        self._check_bounds(len(stack))
                    if len(event.value) > MAX_KEY_CHARS:
                        self._check_scalar(event.value, parent)
                    if merge_child:
                        raise _SemanticError(
                            "map merge requires map or sequence of maps as the value")
                    tag = event.tag
                    if tag is None:
                        kind, value = (resolve_plain(event.value) if event.implicit[0]
                                       else ("str", event.value))
                    else:
                        kind, value = _resolve_tagged(tag, event.value)
                    if event.anchor is not None:
                        anchors[event.anchor] = ("scalar", (kind, value), 1)
                elif cls is AliasEvent:
                    target = anchors.get(event.anchor)
                    if target is None:
                        raise _SemanticError(f"unknown anchor '{event.anchor}' referenced")
                    if target is _IN_PROGRESS:
                        raise _SemanticError(f"anchor '{event.anchor}' value contains itself")
                    node_kind, payload, size = target
                    self.decodes += 1 + size
                    self.aliased += size
                    self._check_aliases()
                    height = 0 if node_kind == "scalar" else _height(payload)
                    self._check_bounds(len(stack) + height)
                    if merge_child and node_kind != "map":
                        raise _SemanticError(
                            "map merge requires map or sequence of maps as the value")
                    if node_kind == "scalar":
                        kind, value = payload
                    else:
                        kind, value = node_kind, tree.copy(payload)
                elif cls is MappingStartEvent or cls is SequenceStartEvent:
                    is_map = cls is MappingStartEvent
                    if merge_child == 1 and not is_map:
                        nested = 2
                    elif merge_child and not is_map:
                        raise _SemanticError(
                            "map merge requires map or sequence of maps as the value")
                    else:
                        nested = 1 if merge_child else 0
                    if nested != 2:
                        self.decodes += 1
                        if self.aliased > 100:
                            self._check_aliases()
                    if len(stack) > MAX_DEPTH or self.decodes > self.budget:
                        self._check_bounds(len(stack))
                    if event.anchor is not None:
                        anchors[event.anchor] = _IN_PROGRESS
                    stack.append(_Frame(is_map, event.anchor, self.decodes - (nested != 2),
                                        mark.line, mark.column, nested))
                    continue
                else:  # mapping or sequence end
                    frame = stack.pop()
                    mark = yaml.Mark("", 0, frame.line, frame.col, "", 0)
                    if frame.merge == 2:
                        merged: dict[Any, Any] = {}
                        for part in reversed(frame.merge_parts):
                            merged.update(part)
                        value = merged
                        kind = "merge"
                    else:
                        value = frame.container
                        if frame.is_map and frame.has_typed_keys:
                            value = {k if type(k) is str else _key_string(k): v
                                     for k, v in value.items()}
                        kind = "map" if frame.is_map else "seq"
                    if frame.anchor is not None:
                        size = self.decodes - frame.start
                        if frame.merge == 2:
                            anchors[frame.anchor] = ("seq", list(frame.merge_parts), size + 1)
                        else:
                            anchors[frame.anchor] = ("map" if frame.is_map else "seq", value,
                                                     size)
                    if frame.merge:
                        kind = "merge"
                if not stack:
                    result = (kind, value)
                    done = True
                    continue
                self._attach(stack[-1], kind, value)
            except _SemanticError as exc:
                raise _Located(str(exc), mark.line, mark.column) from None
        get()  # document end: go-yaml consumes it, and with it any error right after the value
        return result, True

    def _attach(self, parent: _Frame, kind: str, value: Any) -> None:
        if parent.merge == 2:
            parent.merge_parts.append(value)
            return
        if not parent.is_map:
            parent.container.append(_value(kind, value) if kind != "str" else value)
            return
        if not parent.key_set:
            if kind in ("map", "seq"):
                raise _SemanticError("invalid map key: a map or list cannot be a key")
            if kind == "str" or kind == "merge":
                parent.key = value
            else:
                parent.key = (kind, value)
                parent.has_typed_keys = True
            parent.key_set = True
            return
        if parent.key is _MERGE:
            parent.container.update(value)
        else:
            parent.container[parent.key] = _value(kind, value) if kind != "str" else value
        parent.key = None
        parent.key_set = False


class _Located(Exception):
    def __init__(self, message: str, line: int, col: int) -> None:
        super().__init__(message)
        self.line = line
        self.col = col


def _documents(text: str) -> list[tuple[int, str]]:
    """k8s.io YAMLReader: split on lines starting with ``---``; (first line number, text)."""
    if _SEPARATOR.search(text) is None:
        return [(0, text)]
    docs: list[tuple[int, str]] = []
    buf: list[str] = []
    start = 0
    for number, line in enumerate(text.splitlines(keepends=True)):
        if line.startswith("---"):
            rest = line[3:].strip()
            if rest and not rest.startswith("#"):
                raise _Located(f"invalid Yaml document separator: {rest}", number, 3)
            if buf:
                docs.append((start, "".join(buf)))
            buf = []
            start = number + 1
            continue
        buf.append(line)
    if buf:
        docs.append((start, "".join(buf)))
    return docs


def _load_document(text: str, budget: int) -> tuple[dict[str, Any], int]:
    """The document's map, and the nodes it used of ``budget``."""
    decoder = _Decoder(text, budget)
    value, found = decoder.decode()
    if not found or value is None:
        return {}, decoder.decodes
    kind, data = value
    if kind == "null":
        return {}, decoder.decodes
    if kind != "map" and kind != "merge":
        what = {"seq": "array", "str": "string", "bool": "bool"}.get(kind, "number")
        raise _Located(
            f"cannot unmarshal {what} into values (the top level must be a map of keys)", 0, 0
        )
    return data, decoder.decodes


def load_values(text: str, source: str = "<string>",
                budget: NodeBudget | None = None) -> dict[str, Any]:
    """Parse a values file exactly as Helm's ``loader.LoadValues`` does (see module doc),
    within the limits of ``limits.py``; ``budget`` is shared with the other inputs of a merge.
    """

    check_document_text(source, text)
    try:
        docs = _documents(text)
    except _Located as exc:
        raise ValuesError(f"{source}:{exc.line + 1}:{exc.col + 1}: {exc}") from None
    if len(docs) > MAX_DOCUMENTS:
        raise ValuesError(f"{source}: {len(docs)} YAML documents ('---' lines); at most "
                          f"{MAX_DOCUMENTS} are accepted in one file")
    result: dict[str, Any] = {}
    nodes = NodeBudget() if budget is None else budget
    for offset, doc in docs:
        try:
            current, used = _load_document(doc, nodes.left)
            nodes.spend(source, used)
        except _Located as exc:
            raise ValuesError(
                f"{source}:{offset + exc.line + 1}:{exc.col + 1}: {exc}"
            ) from None
        except yaml.MarkedYAMLError as exc:
            mark: Any = exc.problem_mark or exc.context_mark
            where = f"{offset + mark.line + 1}:{mark.column + 1}" if mark else f"{offset + 1}:1"
            problem = exc.problem or exc.context or "invalid YAML"
            raise ValuesError(f"{source}:{where}: {problem}; fix the YAML syntax") from None
        except yaml.YAMLError as exc:
            raise ValuesError(f"{source}:{offset + 1}:1: {exc}") from None
        result = merge_values(result, current) if result else current
    return result


def load_values_file(path: str | Path, budget: NodeBudget | None = None) -> dict[str, Any]:
    """Read and parse a values file; a missing, unreadable or too large file is a ValuesError."""
    try:
        text = read_bytes(path).decode("utf-8")
    except FileNotFoundError:
        raise ValuesError(f"{path}: no such file; check the path") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValuesError(f"{path}: cannot read: {exc}") from None
    return load_values(text, str(path), budget)


class _GoResolver(yaml.resolver.Resolver):
    """Dumping: the "would this plain scalar change type?" test is go-yaml's, not PyYAML's."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode and implicit[0]:
            rkind = resolve_plain(value)[0]
            if rkind == "uint" or (rkind == "float" and _DIGITS.fullmatch(value)):
                rkind = "int"  # Go reads it as a number with the same JSON value
            return _STR if rkind == "str" else _TAG + rkind
        return super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]


def _represent_float(dumper: yaml.representer.SafeRepresenter, data: float) -> yaml.ScalarNode:
    text = repr(data)
    if "e" in text and "." not in text.split("e")[0]:
        mantissa, exp = text.split("e")
        text = f"{mantissa}.0e{exp}"
    return dumper.represent_scalar(_TAG + "float", text)


class _Dumper(_GoResolver, yaml.CSafeDumper):
    """libyaml's emitter (C) writes the text: the same bytes as PyYAML's pure-Python emitter
    for these options, several times faster on a large chart's values."""


_Dumper.add_representer(float, _represent_float)


def dump_yaml(data: Any) -> str:
    """Deterministic block YAML (sorted keys) that ``load_values`` reads back unchanged."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=True, default_flow_style=False,
                     allow_unicode=True, width=2**31 - 1)


def dump_json(data: Any) -> str:
    """Deterministic JSON: sorted keys, indent 2, trailing newline."""
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
