"""What the real openstack-helm charts render, as the acceptance and real-render tests check it."""

from __future__ import annotations

# Workloads whose replicas are one per controller (development: one).
API_WORKLOADS = {
    "keystone": ["Deployment/keystone-api"],
    "glance": ["Deployment/glance-api"],
    "placement": ["Deployment/placement-api"],
    "nova": [
        "Deployment/nova-api-osapi",
        "Deployment/nova-api-metadata",
        "Deployment/nova-conductor",
        "Deployment/nova-scheduler",
        "Deployment/nova-novncproxy",
    ],
    "neutron": ["Deployment/neutron-server"],
    "cinder": ["Deployment/cinder-api", "Deployment/cinder-scheduler"],
    "horizon": ["Deployment/horizon"],
    "heat": ["Deployment/heat-api", "Deployment/heat-cfn", "Deployment/heat-engine"],
    "memcached": ["StatefulSet/memcached-memcached"],
}
# The clustered servers: 3 replicas with at least 3 controllers, else 1.
CLUSTER_WORKLOADS = {
    "mariadb": "StatefulSet/mariadb-server",
    "rabbitmq": "StatefulSet/rabbitmq-rabbitmq",
}
# Public endpoint per chart: <scheme>://<service>.<public_domain><path>.
PUBLIC_PATHS = {
    "keystone": [("keystone", "/v3")],
    "glance": [("glance", "")],
    "placement": [("placement", "/")],
    "nova": [("nova", "/v2.1/")],
    "neutron": [("neutron", "")],
    "cinder": [("cinder", "/v3")],
    "heat": [("heat", "/v1"), ("cloudformation", "/v1")],
}
OPENSTACK = ("keystone", "glance", "placement", "heat", "cinder", "nova", "neutron", "horizon")
