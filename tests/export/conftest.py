"""The example site, imported once per test module, for the export tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from export_env import SITE, Site, age_key, run


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The example site in its own HELMDECK_HOME, with a fresh age key."""
    tmp = tmp_path_factory.mktemp("export")
    with pytest.MonkeyPatch.context() as mp:
        home = tmp / "home"
        mp.setenv("HELMDECK_HOME", str(home))
        for var in ("HELMDECK_DATABASE_URL", "HELMDECK_SECRET_KEY", "HELMDECK_URL",
                    "HELMDECK_TOKEN", "SOPS_AGE_RECIPIENTS", "SOPS_AGE_KEY", "SOPS_AGE_KEY_FILE"):
            mp.delenv(var, raising=False)
        code, _, err = run("site", "import", str(SITE))
        assert code == 0, err
        yield Site(home, tmp, age_key(tmp))
