"""The rule modules, in the order they run; each documents its rules in its docstring."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from helmdeck.verify.context import Context
from helmdeck.verify.model import Finding, Rule
from helmdeck.verify.rules import dependencies, placement, references, storage

Check = Callable[[Context], Iterator[Finding]]

MODULES = (placement, dependencies, storage, references)
RULES: dict[str, Rule] = {r.id: r for m in MODULES for r in m.RULES}
CHECKS: tuple[tuple[frozenset[str], Check], ...] = tuple(
    (frozenset(r.id for r in m.RULES), m.check) for m in MODULES
)
# The rules `helm-override-update` runs for the chart it changes (issue 11, §2).
PLACEMENT_AND_STORAGE = frozenset(r.id for m in (placement, storage) for r in m.RULES)
