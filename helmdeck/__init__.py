"""helmdeck: site inventory to per-chart overrides to ordered releases for openstack-helm."""

__version__ = "0.1.0"
