"""``SecretService``: list, set and rotate the site's secrets, each change audited.

A name no chart uses is almost always a typo (``keystone_admin_pasword``), and storing it
would leave the real secret unchanged while the operator believes it set; so ``set`` refuses
it with the closest real names, unless the operator says ``new`` for a deliberate one.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from helmdeck.errors import UserError
from helmdeck.overrides import OverrideService
from helmdeck.plugins.generate import required_secrets
from helmdeck.plugins.registry import Plugins
from helmdeck.store.audit import AuditAction, audit
from helmdeck.store.secrets import check_secret_name, rotate_secret, secret_names, set_secret
from helmdeck.store.sites import load_site


def known_secret_names(plugins: Plugins, charts: Iterable[str]) -> set[str]:
    """The names of the secrets ``charts`` use, as their plugins declare them."""
    return set(required_secrets(plugins, charts))


class SecretService:
    """The secrets of the store behind ``overrides``, changed as its actor.

    It works beside the override service because that service knows which charts are
    enabled and which plugins they have, and holds the key (``box``) the values need.
    """

    def __init__(self, overrides: OverrideService) -> None:
        self.overrides = overrides
        self.store = overrides.store

    def names(self) -> list[str]:
        """The stored secrets' names, sorted; never their values."""
        with self.store.transaction(readonly=True) as s:
            return secret_names(s)

    def set(self, name: str, value: str, *, new: bool = False) -> None:
        """Store an operator-chosen value; ``new`` allows a name no enabled chart uses."""
        self.check_name(name, new=new)
        box = self.overrides.contexts.box
        with self.store.transaction() as s:
            set_secret(s, box, name, value)
            audit(s, actor=self.overrides.actor, action=AuditAction.SECRET_SET, target=name)

    def rotate(self, name: str) -> None:
        """Replace an existing secret with a freshly generated value of its declared kind."""
        box = self.overrides.contexts.box
        declared = self.overrides.plugins.secrets.get(name)
        with self.store.transaction() as s:
            rotate_secret(s, box, name, declared.generator if declared else None)
            audit(s, actor=self.overrides.actor, action=AuditAction.SECRET_ROTATE, target=name)

    def check_name(self, name: str, *, new: bool = False) -> None:
        """Refuse a malformed name, and unless ``new`` one that no enabled chart uses."""
        check_secret_name(name)
        if new:
            return
        known = known_secret_names(self.overrides.plugins, self._charts_in_use())
        if name in known:
            return
        close = difflib.get_close_matches(name, sorted(known), n=3)
        hint = f" (did you mean {_one_of(close)}?)" if close else ""
        raise UserError(
            f"secret {name}: no enabled chart uses it{hint}; pass --new to store a custom "
            "secret under this name"
        )

    def _charts_in_use(self) -> list[str]:
        """The enabled charts; before a site is imported, every chart of the application."""
        with self.store.transaction(readonly=True) as s:
            imported = load_site(s) is not None
        if not imported:
            return self.overrides.app.names()
        return [c.name for c in self.overrides.list_charts() if c.enabled]


def _one_of(names: list[str]) -> str:
    """``a``, ``a or b``, ``a, b or c``."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
