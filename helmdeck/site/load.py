"""Reading ``site.yaml`` into a validated ``Site``, with every problem as ``FILE:LINE: path: msg``.

The file is read and composed by ``values.located`` (lines kept, duplicate keys refused,
aliases and nesting bounded) and validated by the strict ``Site`` model, which accepts YAML
lists for tuples and strings for enums but still refuses ``release: 2025.1`` as a number.
Checks that need more than the site (the chart source, see ``chart.static.source_problems``)
come in as ``checks``, so the site package does not depend on the packages above it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from helmdeck.site.model import PATTERN_MESSAGES, ChartSource, Site
from helmdeck.site.validate import raw_problems, site_problems
from helmdeck.values.located import (
    DocumentError,
    Problem,
    compose,
    format_problems,
    read_document,
    validation_problems,
)

Check = Callable[[Site], list[Problem]]


def load_site_file(path: str | Path, *, charts: Collection[str] | None = None,
                   checks: Sequence[Check] = ()) -> Site:
    """Parse and fully validate a site file (types and cross-field checks).

    ``charts``: the chart names of the application the site is for (see ``site_problems``).
    ``checks`` run on the valid site with its chart source made absolute against the file's
    directory, as ``site import`` stores it.
    """
    p = Path(path)
    text = read_document(p, "site file")
    return parse_site_yaml(text, str(p), charts=charts, checks=checks, base=p.resolve().parent)


def parse_site_yaml(text: str, source: str, *, charts: Collection[str] | None = None,
                    checks: Sequence[Check] = (), base: Path | None = None) -> Site:
    """Validate site YAML given as text; ``source`` names it in error messages, ``base`` is
    the directory a relative chart source is relative to (default: the working directory)."""
    data, lines = compose(text, source, "a Site")
    problems = raw_problems(data)
    site: Site | None = None
    try:
        site = Site.model_validate_json(json.dumps(data))
    except ValidationError as exc:
        problems += validation_problems(exc, lambda err, loc: (loc, _message(err)),
                                        {loc for loc, _ in problems})
    if site is not None:
        problems.extend(site_problems(site, charts))
        absolute = with_absolute_source(site, base or Path.cwd())
        for check in checks:
            problems.extend(check(absolute))
    if problems:
        raise DocumentError(format_problems(problems, lines, source))
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


def _message(err: ErrorDetails) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        return "unknown key; check its spelling and its place in the file"
    if kind == "missing":
        return "required key missing"
    if kind == "string_pattern_mismatch":
        ctx: dict[str, Any] = err.get("ctx") or {}
        return PATTERN_MESSAGES.get(
            str(ctx.get("pattern")),
            "not a DNS name: use lower-case letters, digits and '-', dot-separated",
        )
    if kind == "too_short" and err["loc"][-1:] == ("roles",):
        return "give at least one role: controller, compute, network or storage"
    if kind == "too_short" and err["loc"][-1:] == ("hosts",):
        return "give at least one host"
    return err["msg"].removeprefix("Value error, ")
