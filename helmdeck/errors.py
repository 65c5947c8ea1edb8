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


class DependentsError(UserError):
    """Disabling ``chart`` is refused: the enabled ``blockers`` depend on it."""

    def __init__(self, chart: str, namespace: str, blockers: list[str]) -> None:
        self.chart, self.namespace, self.blockers = chart, namespace, blockers
        self.refusal = f"chart {chart}: enabled charts depend on it: {', '.join(blockers)}"
        super().__init__(f"{self.refusal}; disable those first or pass --cascade to disable "
                         "them too")

    def attribute_modify(self, app: str) -> UserError:
        """The same refusal for ``helm-chart-attribute-modify``, which has no ``--cascade``
        (StarlingX's ``system`` client or helmdeck's): the commands that do work."""
        return UserError(
            f"{self.refusal}; disable each first (helm-chart-attribute-modify {app} CHART "
            f"{self.namespace} --enabled false), or run `helmdeck chart disable {self.chart} "
            f"{self.namespace} --cascade` to disable them all")
