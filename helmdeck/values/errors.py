"""The one error type of the values engine.

Everything that can go wrong while reading values is an operator mistake (a bad file, a bad
``--set``), so it is a ``UserError``: one line naming the input and the position, exit 2.
"""

from __future__ import annotations

from helmdeck.errors import UserError


class ValuesError(UserError):
    """A values file, section or ``--set`` expression that Helm would reject."""
