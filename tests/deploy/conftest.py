"""Deploy fixtures: a site over the tiny charts in a fresh SQLite store, and its service."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from deploy_env import APP, make_site

from helmdeck.overrides.service import OverrideService
from helmdeck.store import Store, open_store, sites
from helmdeck.store.secrets import SecretBox


@pytest.fixture
def store(tmp_path: Path, helmdeck_home: Path) -> Iterator[Store]:
    with open_store(f"sqlite:///{tmp_path / 'store.db'}") as st:
        with st.transaction() as s:
            sites.save_site(s, make_site())
        yield st


@pytest.fixture
def service(store: Store) -> OverrideService:
    return OverrideService(store, app=APP, box=SecretBox(Fernet.generate_key()), actor="tester")
