"""Validating unified diffs before they are shipped to pods.

A diff that ``patch`` would reject, or that reaches outside the tree it is applied to, must
fail here, at build time, with the file and line, not in a pod at start-up. The parser is
``helmdeck.diffs``, shared with the chart remedies of the application file.
"""

from __future__ import annotations

from helmdeck.diffs import parse_diff


def validate_diff(name: str, text: str) -> list[str]:
    """The files a unified diff changes; ``UserError`` naming ``name:line`` when it is not one.

    Checks: every ``---`` is followed by ``+++`` and at least one hunk, hunk headers are
    well-formed, and each hunk has exactly the old/new line counts its header declares.
    """
    return [f.target for f in parse_diff(name, text)]
