"""The Kubernetes adapter (lightkube): the client, node labels and taints, single objects."""
