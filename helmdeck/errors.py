"""Errors that reach a person.

A ``UserError`` is a mistake in what the operator gave us (a file, an expression, a name);
the CLI prints its one-line message and exits 2, the API answers 400/404/409. Anything else
is a bug in helmdeck and keeps its traceback.
"""

from __future__ import annotations


class UserError(Exception):
    """A mistake in the operator's input, reported as one line naming the input and the fix."""

    exit_code = 2
    http_status = 400


class NotFoundError(UserError):
    """A chart, namespace, release or record that does not exist."""

    http_status = 404


class ConflictError(UserError):
    """A write raced another writer (stale version) and was not applied."""

    http_status = 409


class ClusterError(UserError):
    """No Kubernetes cluster to act on (no kubeconfig, or the API server does not answer)."""
