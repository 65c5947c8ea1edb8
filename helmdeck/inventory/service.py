"""``SiteService``: site.yaml in and out of the store, checked against the application in use.

Import is validated against the chart names of the application the operator works on (a
``--app`` file, not always the packaged one), stored in one transaction with its audit entry.
The stored document is handed out with the fields that are secrets in their own right (the
ceph secret UUID libvirt registers) replaced by ``<redacted>``; revealing them is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helmdeck.application import Application
from helmdeck.chart import source_problems
from helmdeck.errors import NotFoundError
from helmdeck.overrides.redact import REDACTED
from helmdeck.site.load import load_site_file, with_absolute_source
from helmdeck.site.model import Site
from helmdeck.store import Store
from helmdeck.store.audit import AuditAction, audit
from helmdeck.store.sites import load_site, save_site

CEPH_SECRET_UUID = "spec.storage.ceph.secret_uuid"


@dataclass(frozen=True)
class SiteDocument:
    """The stored site as plain data, and the fields in it replaced by ``<redacted>``."""

    data: dict[str, Any]
    redacted: tuple[str, ...]


def validate_site_file(file: Path, *, app: Application) -> Site:
    """FILE parsed and checked as import checks it, for ``app``: its chart source must exist
    and name the release, distro and features the site asks for. The store is not opened."""
    return load_site_file(file, charts=app.names(), checks=[source_problems])


class SiteService:
    """The site of one store, for one application and one actor (``cli:<user>``)."""

    def __init__(self, store: Store, *, app: Application, actor: str) -> None:
        self.store = store
        self.app = app
        self.actor = actor

    def import_file(self, file: Path) -> Site:
        """Replace the stored site with FILE (relative chart paths made absolute to it)."""
        site = with_absolute_source(validate_site_file(file, app=self.app), file.resolve().parent)
        with self.store.transaction() as s:
            save_site(s, site)
            audit(s, actor=self.actor, action=AuditAction.SITE_IMPORT,
                  target=site.metadata.name,
                  detail=f"{len(site.spec.hosts)} hosts from {file.absolute()}")
        return site

    def site(self) -> Site:
        """The stored site, for commands that act on it (``nodes``)."""
        with self.store.transaction(readonly=True) as s:
            return _imported(load_site(s))

    def document(self, *, reveal: bool = False) -> SiteDocument:
        """The stored site as plain data, every default filled in; secrets redacted unless
        ``reveal`` (then the audit log records who saw them)."""
        with self.store.transaction(readonly=not reveal) as s:
            site = _imported(load_site(s))
            secret = site.spec.storage.ceph.secret_uuid is not None
            if reveal and secret:
                audit(s, actor=self.actor, action=AuditAction.SITE_REVEAL,
                      target=site.metadata.name, detail=CEPH_SECRET_UUID)
        data = site.model_dump(mode="json")
        if reveal or not secret:
            return SiteDocument(data, ())
        data["spec"]["storage"]["ceph"]["secret_uuid"] = REDACTED
        return SiteDocument(data, (CEPH_SECRET_UUID,))


def _imported(site: Site | None) -> Site:
    if site is None:
        raise NotFoundError("site: none imported yet; run helmdeck site import FILE")
    return site
