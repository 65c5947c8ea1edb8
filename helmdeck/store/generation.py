"""The store's generation: one number that changes with the site, the secrets or the
enabled flags, in the same transaction as the change.

Every chart's overrides derive from those inputs (plus its own user overrides, which carry
their own version), so a reader that remembers the generation a result was computed at can
tell with one small query whether the result still holds, in this process or any other.
"""

from __future__ import annotations

from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from helmdeck.store.models import GenerationRow, UserOverrideRow

_ID = 1


def bump_generation(s: Session) -> None:
    """Mark every derived result stale; call in the transaction that changes an input."""
    s.execute(update(GenerationRow).where(GenerationRow.id == _ID)
              .values(value=GenerationRow.value + 1))


def current_generation(s: Session) -> int:
    value: int = s.execute(select(GenerationRow.value).where(GenerationRow.id == _ID)).scalar_one()
    return value


_CHART_KEY = select(
    GenerationRow.value,
    select(UserOverrideRow.version)
    .where(UserOverrideRow.chart == bindparam("chart"),
           UserOverrideRow.namespace == bindparam("ns"))
    .scalar_subquery(),
).where(GenerationRow.id == _ID)


def chart_key(s: Session | Connection, chart: str, ns: str) -> tuple[int, int]:
    """(generation, version of the chart's user overrides, 0 if never set) in one query."""
    row = s.execute(_CHART_KEY, {"chart": chart, "ns": ns}).one()
    return int(row[0]), int(row[1] or 0)
