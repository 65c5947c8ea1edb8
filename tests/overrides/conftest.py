"""A fresh store holding the test site, and the override service over it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet
from overrides_env import APP, make_site

from helmdeck.overrides.service import OverrideService
from helmdeck.store import Store, open_store, sites
from helmdeck.store.secrets import SecretBox


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with open_store(db_url) as st:
        with st.transaction() as s:
            sites.save_site(s, make_site())
        yield st


@pytest.fixture
def box() -> SecretBox:
    return SecretBox(Fernet.generate_key())


@pytest.fixture
def service(store: Store, box: SecretBox) -> OverrideService:
    return OverrideService(store, app=APP, box=box, actor="tester")
