"""Site secrets: generated once with ``secrets``, kept Fernet-encrypted, decrypted on demand.

Values never leave this module except as return values: no function logs, formats or
raises an error containing one.
"""

from __future__ import annotations

import base64
import re
import secrets
import string
import uuid
from collections.abc import Iterable, Mapping
from enum import StrEnum

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select
from sqlalchemy.orm import Session

from helmdeck import config
from helmdeck.errors import NotFoundError, UserError
from helmdeck.store.dml import dialect_insert
from helmdeck.store.generation import bump_generation
from helmdeck.store.models import SecretRow, utcnow

_ALPHANUMERIC = string.ascii_letters + string.digits
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,127}$")
_MAX_REMEMBERED = 4096


class SecretBox:
    """Encrypts and decrypts secret values with the site's Fernet key.

    Decryptions are remembered by ciphertext (an exact key: a changed secret has a new
    ciphertext), so a process that reads the secrets on every request decrypts each once.
    """

    def __init__(self, key: bytes | None = None) -> None:

        if key is None:

            key = config.secret_key()
        self._fernet = Fernet(key)
        self._plain: dict[bytes, str] = {}

    def encrypt(self, value: str) -> bytes:
        return self._fernet.encrypt(value.encode())

    def decrypt(self, token: bytes) -> str:

        token = bytes(token)
        plain = self._plain.get(token)
        if plain is not None:
            return plain
        try:
            plain = self._fernet.decrypt(token).decode()
        except InvalidToken:
            raise UserError(
                "secret store: a secret does not decrypt with the current key; set "
                "HELMDECK_SECRET_KEY (or restore secret.key) to the key the store was created with"
            ) from None
        if len(self._plain) >= _MAX_REMEMBERED:
            self._plain.clear()
        self._plain[token] = plain
        return plain


def check_secret_name(name: str) -> str:
    """Refuse names that could not be a chart's secret (and so are surely a typo)."""
    if not _NAME.match(name):
        raise UserError(
            f"{name!r}: not a secret name; use lower-case letters, digits and _ "
            "(see helmdeck secret list)"
        )
    return name


class Generator(StrEnum):
    """How a secret's value is made; plugins declare one per secret.

    The alphanumeric kinds are the default because these values land in database URLs, AMQP
    URLs and INI files, where punctuation would need per-format escaping the charts do not do.
    """

    ALNUM32 = "alnum32"  # 32 letters and digits
    ALNUM64 = "alnum64"  # 64 letters and digits
    HEX32 = "hex32"  # 32 random bytes as 64 hex digits
    BASE64_32 = "base64-32"  # 32 random bytes, standard base64 (encryption keys, e.g. a KEK)
    UUID = "uuid"  # a random (version 4) UUID

    def generate(self) -> str:
        """A fresh value of this kind, from the operating system's CSPRNG."""
        if self is Generator.UUID:
            return str(uuid.uuid4())
        if self is Generator.HEX32:
            return secrets.token_hex(32)
        if self is Generator.BASE64_32:
            return base64.b64encode(secrets.token_bytes(32)).decode()
        length = 64 if self is Generator.ALNUM64 else 32
        return "".join(secrets.choice(_ALPHANUMERIC) for _ in range(length))


def generate_secret(name: str, generator: Generator | None = None) -> str:
    """A fresh value for ``name``: of its declared kind, else 32 letters and digits."""
    return (generator or Generator.ALNUM32).generate()


def all_secrets(s: Session, box: SecretBox) -> dict[str, str]:
    """Every stored secret, decrypted, in one query."""
    rows = s.execute(select(SecretRow.name, SecretRow.ciphertext).order_by(SecretRow.name))
    return {name: box.decrypt(ciphertext) for name, ciphertext in rows}


def ensure_secrets(
    s: Session, box: SecretBox, names: Mapping[str, Generator] | Iterable[str]
) -> dict[str, str]:
    """Generate the named secrets that do not exist yet and return ALL secrets decrypted.

    ``names`` maps each name to its declared generator (a plain list of names uses
    ``generate_secret``'s default). Insert-if-absent, so two processes generating the same
    secret at once agree on the first one written rather than failing or overwriting it.
    """
    kinds: Mapping[str, Generator | None] = (
        names if isinstance(names, Mapping) else dict.fromkeys(names)
    )
    current = all_secrets(s, box)
    missing = sorted({check_secret_name(n) for n in kinds} - current.keys())
    if not missing:
        return current
    now = utcnow()
    rows = [
        {
            "name": n,
            "ciphertext": box.encrypt(generate_secret(n, kinds[n])),
            "created_at": now,
            "updated_at": now,
        }
        for n in missing
    ]
    s.execute(dialect_insert(s, SecretRow).on_conflict_do_nothing(index_elements=["name"]), rows)
    bump_generation(s)
    return all_secrets(s, box)


def set_secret(s: Session, box: SecretBox, name: str, value: str) -> None:
    """Store an operator-chosen value (e.g. one that must match an existing system)."""
    check_secret_name(name)
    if not value:
        raise UserError(f"{name}: empty value; give the secret on stdin")
    row = s.get(SecretRow, name)
    if row is None:
        s.add(SecretRow(name=name, ciphertext=box.encrypt(value)))
    else:
        row.ciphertext = box.encrypt(value)
        row.updated_at = utcnow()
    s.flush()
    bump_generation(s)


def rotate_secret(
    s: Session, box: SecretBox, name: str, generator: Generator | None = None
) -> None:
    """Replace an existing secret with a freshly generated one (of its declared kind)."""
    row = s.get(SecretRow, name, with_for_update=True)
    if row is None:
        raise NotFoundError(f"{name}: no such secret; see helmdeck secret list")
    row.ciphertext = box.encrypt(generate_secret(name, generator))
    row.updated_at = utcnow()
    s.flush()
    bump_generation(s)


def secret_names(s: Session) -> list[str]:
    return list(s.scalars(select(SecretRow.name).order_by(SecretRow.name)))

