"""Helm's ``--set`` family (``pkg/strvals``), grammar and quirks included.

The parser below follows Helm v4's state machine step for step, including the odd corners
people rely on without knowing (``a[0]`` with no value leaves an empty list, ``a={}`` is
``[""]``, a path through a scalar is an error, a trailing ``a.`` is silently ignored), because
"exactly what Helm does" is the only definition operators can check. Errors name the
expression and the 1-based character position where the parser stopped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from helmdeck.values import gojson
from helmdeck.values.errors import ValuesError
from helmdeck.values.limits import (
    MAX_DEPTH,
    MAX_STRING_CHARS,
    NodeBudget,
    check_key,
    check_string,
    check_tree,
    name_input,
    read_bytes,
    too_deep,
)

MAX_INDEX = 65536  # Helm's strvals.MaxIndex
MAX_NESTED_NAME_LEVEL = 30  # Helm's strvals.MaxNestedNameLevel

_INT = re.compile(r"[+-]?[0-9]+")
_ATOI = re.compile(r"[+-]?[0-9]+")
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_UNICODE_SPACE = frozenset("\t\n\v\f\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000") | frozenset(
    chr(c) for c in range(0x2000, 0x200B)
)

Reader = Callable[[str], Any]


class _EOF:
    """Go's io.EOF (possibly wrapped): ends parsing quietly, keeping what was set so far."""


EOF = _EOF()
Err = _EOF | str | None


def _equal_fold(value: str, word: str) -> bool:
    """Go's strings.EqualFold for the ASCII words strvals compares against."""
    if len(value) != len(word):
        return False
    return all(c.lower() == w or (c == "\u017f" and w == "s") for c, w in zip(value, word,
                                                                               strict=True))


def typed_value(text: str, as_string: bool) -> Any:
    """strvals ``typedVal``: bool, null, int64, else the string itself."""
    if as_string:
        return text
    if _equal_fold(text, "true"):
        return True
    if _equal_fold(text, "false"):
        return False
    if _equal_fold(text, "null"):
        return None
    if text == "0":
        return 0
    if text and text[0] != "0" and _INT.fullmatch(text):
        n = int(text)
        if _INT64_MIN <= n <= _INT64_MAX:
            return n
    return text


class _Failure(Exception):
    """Go's recovered panics (type assertions on the wrong kind of value)."""


class _SyntaxError(Exception):
    """An expression Helm's parser refuses (the message carries the position)."""


class _Parser:
    """Helm's parser, plus the limits of ``limits.py``: ``depth`` arguments are the level of
    the container being filled (0: the document), and every node built is taken from
    ``budget``. Limit errors are raised at once, naming ``source``."""

    def __init__(self, text: str, data: dict[str, Any], reader: Reader | None,
                 source: str, budget: NodeBudget,
                 json_values: bool = False, literal: bool = False) -> None:
        self.text = text
        self.pos = 0
        self.data = data
        self.reader = reader
        self.source = source
        self.budget = budget
        self.json_values = json_values
        self.literal = literal

    # --- limits ---------------------------------------------------------------------------
    def enter(self, depth: int) -> None:
        """Refuse filling a container at level ``depth`` when its entries would be too deep."""
        if depth >= MAX_DEPTH:
            raise too_deep(f"{self.source} (at character {self.pos})")

    def set(self, data: dict[str, Any], key: str, value: Any) -> None:
        if key:
            check_key(self.source, key)
            self.budget.spend(self.source, 2)
            data[key] = value

    def set_index(self, lst: list[Any], index: int, value: Any) -> tuple[list[Any], Err]:
        if 0 <= index <= MAX_INDEX:
            self.budget.spend(self.source, max(1, index + 1 - len(lst)))
        return _set_index(lst, index, value)

    def json_value(self, depth: int) -> tuple[Any, Err]:
        """The JSON value at ``self.pos``, to sit at level ``depth``; pos moves past it."""
        try:
            value, end = gojson.decode_prefix(self.text, self.pos, depth)
        except gojson.JSONDepthError:
            raise too_deep(self.source) from None
        except gojson.JSONValueError as exc:
            self.pos = exc.pos
            return None, str(exc)
        self.budget.spend(self.source, check_tree(self.source, value, depth))
        self.pos = end
        return value, None

    def read_value(self, raw: str) -> Any:
        assert self.reader is not None
        value = self.reader(raw)
        if type(value) is str:
            check_string(self.source, value)
        return value

    # --- scanning -------------------------------------------------------------------------
    def read(self) -> str | None:
        if self.pos >= len(self.text):
            return None
        c = self.text[self.pos]
        self.pos += 1
        return c

    def until(self, stop: str) -> tuple[str, str | None]:
        """runesUntil: (runes read, the stop rune or None at end of input); ``\\x`` → ``x``."""
        out: list[str] = []
        text, n = self.text, len(self.text)
        while self.pos < n:
            c = text[self.pos]
            self.pos += 1
            if c in stop:
                return "".join(out), c
            if c == "\\" and not self.literal:
                if self.pos >= n:
                    return "".join(out), None
                out.append(text[self.pos])
                self.pos += 1
                continue
            out.append(c)
        return "".join(out), None

    # --- grammar --------------------------------------------------------------------------
    def parse(self) -> None:
        while True:
            err = self.key(self.data, 0, 0)
            if err is None:
                continue
            if err is EOF:
                return
            assert isinstance(err, str)
            raise _SyntaxError(f"{err} (at character {self.pos})")

    def key(self, data: dict[str, Any], level: int, depth: int) -> Err:
        self.enter(depth)
        try:
            return self._key(data, level, depth)
        except _Failure as exc:
            return f"unable to parse key: {exc}"

    def _key(self, data: dict[str, Any], level: int, depth: int) -> Err:
        k, last = self.until("=[." if self.literal else "=[,.")
        if last is None:
            if not k:
                return EOF
            return f"key {k!r} has no value"
        if last == "[":
            i, err = self.key_index()
            if err is not None:
                return err if err is EOF else f"error parsing index: {err}"
            existing = data.get(k, _MISSING)
            if existing is _MISSING:
                lst: list[Any] = []
            elif type(existing) is list:
                lst = existing
            else:
                raise _Failure(f"{k!r} is {_kind(existing)}, not a list")
            lst, err = self.list_item(lst, i, level, depth + 1)
            self.set(data, k, lst)
            return err
        if last == "=":
            return self.assign(lambda v: self.set(data, k, v), depth + 1)
        if last == ",":
            self.set(data, k, "")
            return f"key {k!r} has no value (cannot end with ,)"
        # last == "."
        level += 1
        if level > MAX_NESTED_NAME_LEVEL:
            return ("value name nested level is greater than maximum supported nested level "
                    f"of {MAX_NESTED_NAME_LEVEL}")
        existing = data.get(k, _MISSING)
        if existing is _MISSING:
            inner: dict[str, Any] = {}
        elif type(existing) is dict:
            inner = existing
        else:
            raise _Failure(f"{k!r} is {_kind(existing)}, not a map")
        err = self.key(inner, level, depth + 1)
        if err is None and not inner:
            return f"key map {k!r} has no value"
        if inner:
            self.set(data, k, inner)
        return err

    def assign(self, store: Callable[[Any], None], depth: int) -> Err:
        """The value after ``=`` for a map key, to sit at level ``depth``; ``store`` sets it."""
        if self.literal:
            store(self.text[self.pos:])
            self.pos = len(self.text)
            return None
        if self.json_values:
            if self.empty_value():
                store(None)
                return None
            value, err = self.json_value(depth)
            if err is not None:
                return err
            store(value)
            self.empty_value()
            return None
        values, status = self.value_list()
        if status is None:
            store(values)
            return None
        if status is EOF:
            store("")
            return EOF
        if isinstance(status, _NotList):
            raw, _ = self.until(",")
            store(self.read_value(raw))
            return None
        return status

    def key_index(self) -> tuple[int, Err]:
        raw, last = self.until("]")
        if last is None:
            return 0, EOF
        if not _ATOI.fullmatch(raw):
            return 0, f'strconv.Atoi: parsing "{raw}": invalid syntax'
        n = int(raw)
        if not _INT64_MIN <= n <= _INT64_MAX:
            return 0, f'strconv.Atoi: parsing "{raw}": value out of range'
        return n, None

    def list_item(self, lst: list[Any], i: int, level: int,
                  depth: int) -> tuple[list[Any], Err]:
        """Fill item ``i`` of ``lst``, a list at level ``depth``."""
        self.enter(depth)
        if i < 0:
            return lst, f"negative {i} index not allowed"
        k, last = self.until("[.=")
        if k:
            return lst, f"unexpected data at end of array index: {k!r}"
        if last is None:
            return lst, EOF
        if last == "=":
            if self.literal:
                value = self.text[self.pos:]
                self.pos = len(self.text)
                return self.set_index(lst, i, value)
            if self.json_values:
                if self.empty_value():
                    return self.set_index(lst, i, None)
                start = self.pos
                value, err = self.json_value(depth + 1)
                if err is not None:
                    return lst, err
                lst, err = self.set_index(lst, i, value)
                if err is not None:
                    self.pos = start  # Helm stops before the value when the index is refused
                    return lst, err
                self.empty_value()
                return lst, None
            values, status = self.value_list()
            if status is None:
                return self.set_index(lst, i, values)
            if status is EOF:
                return self.set_index(lst, i, "")
            if isinstance(status, _NotList):
                raw, _ = self.until(",")
                return self.set_index(lst, i, self.read_value(raw))
            return lst, status
        if last == "[":
            next_i, err = self.key_index()
            if err is not None:
                return lst, err if err is EOF else f"error parsing index: {err}"
            current: list[Any] = []
            if len(lst) > i and lst[i] is not None:
                if type(lst[i]) is not list:
                    raise _Failure(f"index {i} is {_kind(lst[i])}, not a list")
                current = lst[i]
            inner_list, err = self.list_item(current, next_i, level, depth + 1)
            if err is not None:
                return lst, err
            return self.set_index(lst, i, inner_list)
        # last == "."
        inner: dict[str, Any] = {}
        if len(lst) > i:
            if type(lst[i]) is dict:
                inner = lst[i]
            else:
                lst[i] = inner
        err = self.key(inner, level, depth + 1)
        if err is not None:
            return lst, err
        return self.set_index(lst, i, inner)

    def empty_value(self) -> bool:
        """Skip blanks; True (and the comma consumed) at ``,`` or end of input."""
        while True:
            c = self.read()
            if c is None or c == ",":
                return True
            if c not in _UNICODE_SPACE:
                self.pos -= 1
                return False

    def value_list(self) -> tuple[list[Any], Err | _NotList]:
        c = self.read()
        if c is None:
            return [], EOF
        if c != "{":
            self.pos -= 1
            return [], _NOT_LIST
        values: list[Any] = []
        while True:
            raw, last = self.until(",}")
            if last is None:
                return values, "list must terminate with '}'"
            self.budget.spend(self.source, 1)
            values.append(self.read_value(raw))
            if last == "}":
                nxt = self.read()
                if nxt is not None and nxt != ",":
                    self.pos -= 1
                return values, None


class _NotList:
    """strvals.ErrNotList: the value is not a ``{a,b}`` list."""


_MISSING = object()
_NOT_LIST = _NotList()


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if type(value) is dict:
        return "a map"
    if type(value) is list:
        return "a list"
    return f"the scalar {value!r}"


def _set_index(lst: list[Any], index: int, value: Any) -> tuple[list[Any], Err]:
    if index < 0:
        return lst, f"negative {index} index not allowed"
    if index > MAX_INDEX:
        return lst, f"index of {index} is greater than maximum supported index of {MAX_INDEX}"
    if len(lst) <= index:
        lst = lst + [None] * (index + 1 - len(lst))
    lst[index] = value
    return lst, None


def _run(flag: str, expr: str, into: dict[str, Any] | None, reader: Reader | None,
         budget: NodeBudget | None, json_values: bool = False,
         literal: bool = False) -> dict[str, Any]:
    source = name_input(flag, expr)
    if len(expr) > MAX_STRING_CHARS:
        raise ValuesError(f"{source}: an expression of {len(expr)} characters; at most "
                          f"{MAX_STRING_CHARS} are accepted, put the values in a file instead")
    data: dict[str, Any] = {} if into is None else into
    nodes = NodeBudget() if budget is None else budget
    try:
        _Parser(expr, data, reader, source, nodes, json_values, literal).parse()
    except _SyntaxError as exc:
        raise ValuesError(f"{flag} {expr!r}: {exc}; see 'helm install --help' for the syntax") \
            from None
    return data


def parse_set(expr: str, into: dict[str, Any] | None = None,
              budget: NodeBudget | None = None) -> dict[str, Any]:
    """``--set``: typed values (int64, bool, null), ``{a,b}`` lists. Returns ``into`` (changed).

    ``budget`` (here and below) is shared with the other inputs of one merge.
    """
    return _run("--set", expr, into, lambda raw: typed_value(raw, False), budget)


def parse_set_string(expr: str, into: dict[str, Any] | None = None,
                     budget: NodeBudget | None = None) -> dict[str, Any]:
    """``--set-string``: like ``--set`` but every value stays a string."""
    return _run("--set-string", expr, into, lambda raw: raw, budget)


def parse_set_json(expr: str, into: dict[str, Any] | None = None,
                   budget: NodeBudget | None = None) -> dict[str, Any]:
    """``--set-json`` in ``key=JSON,key2=JSON`` form (an empty value is null)."""
    return _run("--set-json", expr, into, None, budget, json_values=True)


def parse_set_literal(expr: str, into: dict[str, Any] | None = None,
                      budget: NodeBudget | None = None) -> dict[str, Any]:
    """``--set-literal``: everything after the first ``=`` is the value, verbatim."""
    return _run("--set-literal", expr, into, None, budget, literal=True)


def _read_file(path: str) -> str:
    """A ``--set-file`` file's content, read within ``limits.MAX_DOCUMENT_BYTES``."""
    try:
        return read_bytes(path).decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValuesError(f"--set-file: cannot read {path!r}: {exc}") from None


def parse_set_file(expr: str, into: dict[str, Any] | None = None,
                   read: Callable[[str], str] = _read_file,
                   budget: NodeBudget | None = None) -> dict[str, Any]:
    """``--set-file``: ``key=PATH``; the value is the file's content as a string."""
    return _run("--set-file", expr, into, read, budget)
