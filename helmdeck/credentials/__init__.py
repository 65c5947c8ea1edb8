"""Credentials services: the site's secrets (``SecretService``) and the API's tokens
(``TokenService``), the only writers of those records and of their audit entries."""

from helmdeck.credentials.secrets import SecretService, known_secret_names
from helmdeck.credentials.tokens import TokenService, expiry

__all__ = ["SecretService", "TokenService", "expiry", "known_secret_names"]
