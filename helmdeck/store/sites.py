"""The site record: the document without its hosts, and one row per host.

The hosts live in their own table so that a site of thousands of hosts is one bulk insert
and one select, never one query per host.
"""

from __future__ import annotations

import copy
import json

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from helmdeck.site.model import Site
from helmdeck.store.generation import bump_generation
from helmdeck.store.models import (
    HostRow,
    SiteRow,
    utcnow,
)

_SITE_ID = 1

def save_site(s: Session, site: Site) -> None:
    """Replace the database's one site and all its hosts."""
    doc = site.model_dump(mode="json")
    hosts = doc["spec"].pop("hosts")
    s.execute(delete(HostRow).where(HostRow.site_id == _SITE_ID))
    row = s.get(SiteRow, _SITE_ID)
    if row is None:
        s.add(SiteRow(id=_SITE_ID, name=site.metadata.name, doc=doc))
    else:
        row.name, row.doc, row.updated_at = site.metadata.name, doc, utcnow()
    s.flush()
    s.execute(
        insert(HostRow),
        [
            {"site_id": _SITE_ID, "position": i, "name": h["name"], "data": h}
            for i, h in enumerate(hosts)
        ],
    )
    bump_generation(s)


def load_site(s: Session) -> Site | None:
    """The stored site (two queries whatever the host count), or None before an import."""
    doc = s.scalar(select(SiteRow.doc).where(SiteRow.id == _SITE_ID))
    if doc is None:
        return None
    hosts = s.scalars(
        select(HostRow.data).where(HostRow.site_id == _SITE_ID).order_by(HostRow.position)
    ).all()
    full = copy.deepcopy(doc)
    full["spec"]["hosts"] = hosts
    return Site.model_validate_json(json.dumps(full))
