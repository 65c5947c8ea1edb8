"""Rendering values that hold secrets, without letting a secret reach an error message.

Helm's error for a failing template may quote text derived from the values: ``fail (b64enc
.Values...password)`` prints the base64 of a password, which no exact-string redaction
catches. So when a render with real values fails, the message shown is the one Helm gives
for the same values with every secret replaced by a placeholder; if that render succeeds,
the failure depends on a secret's value and its message is withheld.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from helmdeck.helm import RenderError, render
from helmdeck.overrides.redact import placeholders, redact_text, secret_values
from helmdeck.plugins.secrets import SecretPaths


def render_safely(chart_dir: Path, values: dict[str, Any], *, release: str, namespace: str,
                  paths: SecretPaths) -> dict[str, str]:
    """``helm template`` of the release; a failure's message never carries a secret."""
    try:
        return render(chart_dir, values, release=release, namespace=namespace)
    except RenderError as exc:
        raise scrubbed(exc, chart_dir, values, release=release, namespace=namespace,
                       paths=paths) from None


def scrubbed(exc: RenderError, chart_dir: Path, values: dict[str, Any], *, release: str,
             namespace: str, paths: SecretPaths) -> RenderError:
    """The error to show for ``exc``: Helm's message from a render with placeholder secrets."""
    secrets = secret_values(values, paths)
    if not secrets:
        return exc
    try:
        render(chart_dir, placeholders(values, paths), release=release, namespace=namespace)
    except RenderError as again:
        return RenderError(redact_text(str(again), secrets))
    return RenderError(
        f"{Path(chart_dir).name}: render failed in a way that depends on a secret value; "
        "Helm's message is withheld because it may quote the secret: check the templates "
        "and overrides that read this chart's secrets"
    )
