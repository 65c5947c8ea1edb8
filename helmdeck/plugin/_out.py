"""System overrides under construction: nested values plus, per leaf, the inventory fact."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from helmdeck.plugin._types import SystemOverrides
from helmdeck.values.paths import format_path
from helmdeck.values.tree import sort as sort_tree

Path = tuple[str | int, ...]


class Out:
    """What a plugin writes: values by path, each with the fact that caused it.

    ``secrets`` are the site's generated secrets; ``secret()`` writes one by name, so the
    value never passes through plugin code and the fact names the secret, not its value.
    """

    def __init__(self, secrets: Mapping[str, str] | None = None) -> None:
        self.values: dict[str, Any] = {}
        self.facts: dict[Path, str] = {}
        self._secrets: Mapping[str, str] = secrets or {}

    def set(self, path: Path, value: Any, fact: str) -> None:
        """Set ``path`` (a map value sets each of its leaves) and record why."""
        if isinstance(value, dict) and value:
            for k, v in value.items():
                self.set((*path, k), v, fact)
            return
        node: dict[Any, Any] = self.values
        for i, part in enumerate(path[:-1]):
            child = node.get(part)
            if not isinstance(child, dict):
                child = {}
                node[part] = child
                self.facts.pop(path[: i + 1], None)
            node = child
        if isinstance(node.get(path[-1]), dict):
            n = len(path)
            for p in [p for p in self.facts if p[:n] == path]:
                del self.facts[p]
        node[path[-1]] = value
        self.facts[path] = fact

    def note(self, path: Path, fact: str) -> None:
        """Record the fact behind a path inside a value already set (a list element's key).

        Lists are leaves of the overrides, so ``set`` records one fact for a whole list; a list
        built from several facts (helm-toolkit's per-host rules) names each of them here, and
        ``explain`` answers for ``key[0].conf.x`` too.
        """
        self.facts[path] = fact

    def secret(self, path: Path, name: str) -> None:
        """Set ``path`` to the site secret ``name``; the fact names the secret, never its value."""
        self.set(path, self._secrets[name], f"secret: {name}")

    def result(self) -> SystemOverrides:
        """Sorted values and provenance: the same site always yields the same bytes."""
        return SystemOverrides(
            values=sort_tree(self.values),
            provenance={
                format_path(p): f
                for p, f in sorted(self.facts.items(), key=lambda kv: tuple(str(x) for x in kv[0]))
            },
        )
