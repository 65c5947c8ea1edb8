"""Reading ``site.yaml`` into a validated ``Site``, with every problem as ``FILE:LINE: path: msg``.

The YAML is composed into nodes and built by hand rather than with ``yaml.safe_load`` so
that (1) every value keeps the line it came from, to map pydantic's error locations back to
the file, (2) duplicate keys are errors instead of silently keeping the last, and (3) alias
expansion is bounded (a "billion laughs" file fails fast instead of exhausting memory when
serialised). Validation runs in pydantic's JSON mode, where the strict model accepts YAML
lists for tuples and strings for enums but still refuses ``release: 2025.1`` as a number.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from helmdeck.errors import UserError
from helmdeck.site.model import PATTERN_MESSAGES, ChartSource, Site
from helmdeck.site.validate import Location, Problem, raw_problems, site_problems

MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_NODES = 1_000_000

_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


class SiteFileError(UserError):
    """One or more problems in a site file, one ``FILE:LINE: path: message`` line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def load_site_file(path: str | Path, *, charts: Collection[str] | None = None) -> Site:
    """Parse and fully validate a site file (types and cross-field checks).

    ``charts``: the chart names of the application the site is for (see ``site_problems``).
    """
    p = Path(path)
    try:
        with p.open("rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise UserError(f"{p}: cannot read ({exc.strerror}); give the path of a site.yaml") \
            from None
    if len(raw) > MAX_FILE_BYTES:
        raise SiteFileError([f"{p}:1: (file): larger than {MAX_FILE_BYTES} bytes"])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SiteFileError([f"{p}:1: (file): not UTF-8 ({exc.reason})"]) from None
    return parse_site_yaml(text, str(p), charts=charts)


def parse_site_yaml(text: str, source: str, *, charts: Collection[str] | None = None) -> Site:
    """Validate site YAML given as text; ``source`` names it in error messages."""
    data, lines = _compose(text, source)
    problems = raw_problems(data)
    reported = {loc for loc, _ in problems}
    site: Site | None = None
    try:
        site = Site.model_validate_json(json.dumps(data))
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        for err in errors:
            loc = tuple(p for p in err["loc"] if p != "[key]")  # a dict key's own error
            if loc not in reported and not _explained_below(err, errors):
                problems.append((loc, _message(err)))
    if site is not None:
        problems.extend(site_problems(site, charts))
    if problems:
        raise SiteFileError(_format(problems, lines, source))
    assert site is not None
    return site


def with_absolute_source(site: Site, base: Path) -> Site:
    """The site with a relative ``charts.source.path`` made absolute against ``base``.

    Done on import so later commands find the charts whatever directory they run from.
    """
    path = site.spec.charts.source.path
    if path is None or Path(path).is_absolute():
        return site
    absolute = str((base / path).resolve())
    charts = site.spec.charts.model_copy(update={"source": ChartSource(path=absolute)})
    spec = site.spec.model_copy(update={"charts": charts})
    return site.model_copy(update={"spec": spec})


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


def _format(problems: list[Problem], lines: dict[Location, int], source: str) -> list[str]:
    def line_of(loc: Location) -> int:
        for n in range(len(loc), -1, -1):
            if loc[:n] in lines:
                return lines[loc[:n]]
        return 1

    located = sorted(((line_of(loc), format_location(loc), msg) for loc, msg in problems))
    return [f"{source}:{line}: {path}: {msg}" for line, path, msg in located]


def _explained_below(err: Any, errors: list[Any]) -> bool:
    """A too-short list whose items failed: the items' errors say what is wrong."""
    loc = tuple(err["loc"])
    return err["type"] == "too_short" and any(
        len(e["loc"]) > len(loc) and tuple(e["loc"][: len(loc)]) == loc for e in errors
    )


def _message(err: Any) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        return "unknown key; check its spelling and that it sits under the right parent key"
    if kind == "missing":
        return "required key missing"
    if kind == "string_pattern_mismatch":
        pattern = err.get("ctx", {}).get("pattern")
        return PATTERN_MESSAGES.get(
            pattern, "not a DNS name: use lower-case letters, digits and '-', dot-separated"
        )
    if kind == "too_short" and err["loc"][-1:] == ("roles",):
        return "give at least one role: controller, compute, network or storage"
    if kind == "too_short" and err["loc"][-1:] == ("hosts",):
        return "give at least one host"
    msg: str = err["msg"]
    return msg.removeprefix("Value error, ")


class _Builder:
    """Builds plain data from YAML nodes, recording each value's line by location."""

    def __init__(self, loader: yaml.SafeLoader, source: str) -> None:
        self.loader = loader
        self.source = source
        self.lines: dict[Location, int] = {}
        self.budget = MAX_NODES

    def fail(self, node: yaml.Node, loc: Location, message: str) -> SiteFileError:
        line = node.start_mark.line + 1
        return SiteFileError([f"{self.source}:{line}: {format_location(loc)}: {message}"])

    def build(self, node: yaml.Node, loc: Location) -> Any:
        self.budget -= 1
        if self.budget < 0:
            raise self.fail(node, loc, f"more than {MAX_NODES} values after expanding aliases")
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


def _compose(text: str, source: str) -> tuple[Any, dict[Location, int]]:
    try:
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        raise SiteFileError([f"{source}:{line}: (yaml): {exc.reason}"]) from None
    try:
        node = loader.get_single_node()
        if node is None:
            raise SiteFileError([f"{source}:1: (document): empty file; expected a Site"])
        builder = _Builder(loader, source)
        return builder.build(node, ()), builder.lines
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = "; ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
        raise SiteFileError([f"{source}:{line}: (yaml): {problem}"]) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        raise SiteFileError([f"{source}:{line}: (yaml): {exc.reason}"]) from None
    finally:
        loader.dispose()
