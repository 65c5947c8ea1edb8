"""YAML files validated by a pydantic model, with every problem as ``FILE:LINE: path: message``.

``site.yaml`` and the application file are read this way. The YAML is composed into nodes
and built by hand rather than with ``yaml.safe_load`` so that (1) every value keeps the line
it came from, to map pydantic's error locations back to the file, (2) duplicate keys are
errors instead of silently keeping the last, (3) alias expansion is bounded (a "billion
laughs" file fails fast instead of exhausting memory when serialised), and (4) nesting is
bounded as PyYAML's composer, which recurses once per level, builds the nodes. The
limits are those of ``limits.py``. Validation then runs in pydantic's JSON mode, where a
strict model accepts YAML lists for tuples and strings for enums but still refuses a number
where a string is meant.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from helmdeck.errors import UserError
from helmdeck.values.limits import MAX_DEPTH, MAX_DOCUMENT_BYTES, MAX_NODES

Location = tuple[str | int, ...]
Problem = tuple[Location, str]

_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


class DocumentError(UserError):
    """One or more problems in a YAML file, one ``FILE:LINE: path: message`` line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def read_document(path: str | Path, what: str) -> str:
    """The text of the ``what`` (e.g. "site file") at ``path``, read within the limits."""
    p = Path(path)
    try:
        with p.open("rb") as f:
            raw = f.read(MAX_DOCUMENT_BYTES + 1)
    except OSError as exc:
        raise UserError(f"{p}: cannot read {what} ({exc.strerror}); check the path") from None
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise DocumentError([f"{p}:1: (file): larger than {MAX_DOCUMENT_BYTES} bytes"])
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DocumentError([f"{p}:1: (file): not UTF-8 ({exc.reason})"]) from None


def format_location(loc: Iterable[str | int]) -> str:
    """``('spec', 'hosts', 2, 'roles', 0)`` -> ``spec.hosts[2].roles[0]``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.match(part):
            out += f".{part}" if out else part
        else:
            out += f"[{json.dumps(part)}]"
    return out or "(document)"


def format_problems(problems: Iterable[Problem], lines: dict[Location, int],
                    source: str) -> list[str]:
    """``FILE:LINE: path: message`` for each problem, in line order.

    A location the file does not have (a required key left out) takes the line of its
    nearest ancestor that it does have.
    """

    def line_of(loc: Location) -> int:
        for n in range(len(loc), -1, -1):
            if loc[:n] in lines:
                return lines[loc[:n]]
        return 1

    located = sorted((line_of(loc), format_location(loc), msg) for loc, msg in problems)
    return [f"{source}:{line}: {path}: {msg}" for line, path, msg in located]


def validation_problems(exc: ValidationError,
                        describe: Callable[[ErrorDetails, Location], Problem],
                        reported: set[Location]) -> list[Problem]:
    """Pydantic's errors as problems, located and worded by ``describe(error, location)``.

    Locations in ``reported`` (already explained better by the caller), errors explained by
    their items' errors, and repeats (several items wrong the same way) are left out.
    """
    errors = exc.errors(include_url=False, include_input=False)
    problems: list[Problem] = []
    for err in errors:
        loc = tuple(p for p in err["loc"] if p != "[key]")  # a dict key's own error
        if loc not in reported and not _explained_below(err, errors):
            problems.append(describe(err, loc))
    return list(dict.fromkeys(problems))


def _explained_below(err: ErrorDetails, errors: list[ErrorDetails]) -> bool:
    """A too-short list whose items failed: the items' errors say what is wrong."""
    loc = tuple(err["loc"])
    return err["type"] == "too_short" and any(
        len(e["loc"]) > len(loc) and tuple(e["loc"][: len(loc)]) == loc for e in errors
    )


class _Builder:
    """Builds plain data from YAML nodes, recording each value's line by location."""

    def __init__(self, loader: yaml.SafeLoader, source: str) -> None:
        self.loader = loader
        self.source = source
        self.lines: dict[Location, int] = {}
        self.budget = MAX_NODES

    def fail(self, node: yaml.Node, loc: Location, message: str) -> DocumentError:
        line = node.start_mark.line + 1
        return DocumentError([f"{self.source}:{line}: {format_location(loc)}: {message}"])

    def build(self, node: yaml.Node, loc: Location) -> Any:
        self.budget -= 1
        if self.budget < 0:
            raise self.fail(node, loc, f"more than {MAX_NODES} values after expanding aliases")
        if len(loc) > MAX_DEPTH:  # aliases can nest deeper than the text does
            raise self.fail(node, loc, f"nested deeper than {MAX_DEPTH} levels; flatten it")
        self.lines.setdefault(loc, node.start_mark.line + 1)
        if isinstance(node, yaml.ScalarNode):
            value = self.loader.construct_object(node)
            if value is not None and not isinstance(value, str | int | float | bool):
                raise self.fail(
                    node, loc, f"{type(value).__name__} value not allowed here; quote it"
                )
            return value
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*loc, i)) for i, item in enumerate(node.value)]
        assert isinstance(node, yaml.MappingNode)
        self.loader.flatten_mapping(node)
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = (
                self.loader.construct_object(key_node)
                if isinstance(key_node, yaml.ScalarNode)
                else None
            )
            if not isinstance(key, str):
                raise self.fail(key_node, loc, "keys must be strings; quote this key")
            if key in out:
                raise self.fail(key_node, (*loc, key), "duplicate key")
            self.lines[(*loc, key)] = key_node.start_mark.line + 1
            out[key] = self.build(value_node, (*loc, key))
        return out


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing nesting beyond ``MAX_DEPTH`` as it composes: its
    composer recurses once per level, so the check must come before Python's stack runs
    out, at the node that is one level too deep."""

    def __init__(self, text: str, source: str) -> None:
        super().__init__(text)
        self.source = source
        self.depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        # the document's own map is at depth 1 and holds level-1 keys: level = depth - 1
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH + 1:
                line = self.get_mark().line + 1  # where the reader is: on the deep node's line
                raise DocumentError([f"{self.source}:{line}: (yaml): nested deeper than "
                                     f"{MAX_DEPTH} levels; flatten it"])
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def compose(text: str, source: str, expected: str) -> tuple[Any, dict[Location, int]]:
    """The document's data and the line of every location in it.

    Raises ``DocumentError`` for YAML that cannot be read, with the line where it fails;
    ``expected`` says what an empty file should have held (e.g. "a Site").
    """
    try:
        loader = _Loader(text, source)
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        raise DocumentError([f"{source}:{line}: (yaml): {exc.reason}"]) from None
    try:
        node = loader.get_single_node()
        if node is None:
            raise DocumentError([f"{source}:1: (document): empty file; expected {expected}"])
        builder = _Builder(loader, source)
        return builder.build(node, ()), builder.lines
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = "; ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
        raise DocumentError(
            [f"{source}:{line}: (yaml): {problem}; not valid YAML, fix the syntax"]) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        raise DocumentError([f"{source}:{line}: (yaml): {exc.reason}"]) from None
    finally:
        loader.dispose()
