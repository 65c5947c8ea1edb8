"""The built-in plugins, one module per openstack-helm chart."""
