"""The application: which charts make up the cloud and in which order they roll out.

The definition is data (``openstack-helm.yaml`` in this package, or an operator's ``--app``
file) rather than code, so a site can add, drop or re-wire charts without a helmdeck release.
It is validated once on load: an unknown dependency or a cycle would otherwise surface only
half-way through an ``apply``.
"""

from __future__ import annotations

from helmdeck.application.model import AppChart, Application, SiteTraits, When, load_application

__all__ = ["AppChart", "Application", "SiteTraits", "When", "load_application"]
