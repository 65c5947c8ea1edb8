"""What the rules read from a chart directory: values (with line numbers), template text with
comments blanked out, the defines of its library dependencies, and renders through the Helm
adapter.

Comments are blanked rather than removed so every offset still maps to the real line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from helmdeck.errors import UserError
from helmdeck.helm import render
from helmdeck.values import tree

GO_COMMENT = re.compile(r"\{\{-?\s*/\*.*?\*/\s*-?\}\}", re.S)
LINE_COMMENT = re.compile(r"^[ \t]*#.*$", re.M)
ACTION = re.compile(r"\{\{-?(.*?)-?\}\}", re.S)
OPENERS = ("if", "range", "with", "define", "block")
INCLUDE = re.compile(r"\b(?:include|template)\s+\"([^\"]+)\"")
DEFINE = re.compile(r"^\s*define\s+\"([^\"]+)\"")


def strip_comments(text: str) -> str:
    """Blank Go-template and line comments, keeping every other character's line."""

    def blank(m: re.Match[str]) -> str:
        return "".join(c if c == "\n" else " " for c in m.group(0))

    return LINE_COMMENT.sub(blank, GO_COMMENT.sub(blank, text))


def line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


@dataclass(frozen=True)
class Template:
    """A file under templates/: its path relative to the chart and comment-free text."""

    rel: str
    text: str


def read_templates(chart_dir: Path) -> list[Template]:
    root = chart_dir / "templates"
    if not root.is_dir():
        return []
    return [
        Template(str(p.relative_to(chart_dir)), strip_comments(p.read_text(errors="replace")))
        for p in sorted(root.rglob("*"))
        if p.is_file()
    ]


def define_bodies(text: str) -> Iterator[tuple[str, str]]:
    """(name, body) of every ``define`` block, matching ``end`` by nesting depth."""
    actions = list(ACTION.finditer(text))
    i = 0
    while i < len(actions):
        m = DEFINE.match(actions[i].group(1))
        if not m:
            i += 1
            continue
        depth, j = 1, i + 1
        while j < len(actions) and depth:
            word = actions[j].group(1).strip().split(" ", 1)[0]
            if word in OPENERS:
                depth += 1
            elif word == "end":
                depth -= 1
            j += 1
        yield m.group(1), text[actions[i].end() : actions[j - 1].start()]
        i = j


@dataclass
class LibraryIndex:
    """Defines of the chart's library dependencies and the values paths each one reads
    (through the defines it includes, too)."""

    bodies: dict[str, str] = field(default_factory=dict)

    def add(self, templates: list[Template]) -> None:
        for t in templates:
            for name, body in define_bodies(t.text):
                self.bodies.setdefault(name, body)

    def reads(self, name: str, pattern: re.Pattern[str]) -> set[str]:
        """Every match of ``pattern`` in define ``name`` and the library defines it includes."""
        seen: set[str] = set()
        out: set[str] = set()
        stack = [name]
        while stack:
            n = stack.pop()
            if n in seen or n not in self.bodies:
                continue
            seen.add(n)
            body = self.bodies[n]
            out.update(pattern.findall(body))
            stack.extend(INCLUDE.findall(body))
        return out


class ValuesIndex:
    """values.yaml as data plus the line of every key, for ``file:line`` findings."""

    def __init__(self, path: Path) -> None:
        self.path = path
        text = path.read_text() if path.is_file() else ""
        try:
            self.data: dict[str, Any] = yaml.safe_load(text) or {}
            node = yaml.compose(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f":{mark.line + 1}" if mark else ""
            raise UserError(f"{path}{where}: not valid YAML; fix the file") from None
        if not isinstance(self.data, dict):
            raise UserError(f"{path}: values must be a map at the top level; fix the file")
        self.lines: dict[tuple[str, ...], int] = {}
        if node is not None:
            self._index(node, ())

    def _index(self, node: yaml.Node, prefix: tuple[str, ...]) -> None:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                key = (*prefix, str(k.value))
                self.lines[key] = k.start_mark.line + 1
                self._index(v, key)

    def get(self, path: tuple[str, ...]) -> Any:
        """The value at ``path``, None when absent."""
        return tree.get(self.data, path, None)

    def has(self, path: tuple[str, ...]) -> bool:
        return tree.has(self.data, path)

    def line(self, path: tuple[str, ...]) -> int:
        """The line of ``path``, or of its deepest existing parent (1 when none exists)."""
        for n in range(len(path), 0, -1):
            if path[:n] in self.lines:
                return self.lines[path[:n]]
        return 1


def _dependency_dirs(chart_dir: Path, meta: dict[str, Any]) -> list[Path]:
    dirs = []
    for dep in meta.get("dependencies") or []:
        repo = str(dep.get("repository") or "")
        if repo.startswith("file://"):
            dirs.append((chart_dir / repo.removeprefix("file://")).resolve())
    vendored = chart_dir / "charts"
    if vendored.is_dir():
        dirs.extend(p for p in sorted(vendored.iterdir()) if (p / "Chart.yaml").is_file())
    return [d for d in dirs if (d / "Chart.yaml").is_file()]


class LintChart:
    """One chart under lint. Renders are made lazily and at most once per values set."""

    def __init__(self, chart_dir: Path) -> None:
        self.dir = chart_dir
        chart_yaml = chart_dir / "Chart.yaml"
        if not chart_yaml.is_file():
            raise UserError(f"{chart_dir}: not a chart directory (no Chart.yaml)")
        try:
            self.meta: dict[str, Any] = yaml.safe_load(chart_yaml.read_text()) or {}
        except yaml.YAMLError:
            raise UserError(f"{chart_yaml}: not valid YAML; fix the file") from None
        self.name = str(self.meta.get("name") or chart_dir.name)
        self.is_library = self.meta.get("type") == "library"
        self.values = ValuesIndex(chart_dir / "values.yaml")
        self.templates = read_templates(chart_dir)
        self.library = LibraryIndex()
        for dep in _dependency_dirs(chart_dir, self.meta):
            self.library.add(read_templates(dep))

    def path(self, rel: str) -> str:
        """How a file of this chart is shown in findings: under the directory as given."""
        return str(self.dir / rel)

    @cached_property
    def default_render(self) -> dict[str, str]:
        return self.render({})

    def render(self, values: dict[str, Any]) -> dict[str, str]:
        """Template path relative to the chart (``templates/x.yaml``) -> manifest text."""

        out = render(self.dir, values, release=self.name, namespace="openstack")
        return {k.split("/", 1)[1] if "/" in k else k: v for k, v in out.items()}
