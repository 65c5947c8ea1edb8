"""Explicit enable/disable decisions per chart; absent charts follow the site's defaults."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from helmdeck.store.dml import dialect_insert
from helmdeck.store.generation import bump_generation
from helmdeck.store.models import (
    ChartStateRow,
)


def set_chart_enabled(s: Session, chart: str, ns: str, enabled: bool) -> None:
    stmt = dialect_insert(s, ChartStateRow).values(chart=chart, namespace=ns, enabled=enabled)
    s.execute(
        stmt.on_conflict_do_update(
            index_elements=["chart", "namespace"], set_={"enabled": enabled}
        )
    )
    bump_generation(s)


def chart_enabled(s: Session) -> dict[tuple[str, str], bool]:
    """Explicit enable/disable decisions; charts absent here follow the site's defaults."""
    rows = s.execute(select(ChartStateRow.chart, ChartStateRow.namespace, ChartStateRow.enabled))
    return {(c, n): e for c, n, e in rows}

