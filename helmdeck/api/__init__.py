"""The REST service (``helmdeck serve``) and its remote client.

``helmdeck.api.app`` pulls in FastAPI; ``helmdeck.api.client`` needs only httpx, so the remote
CLI never pays for the server's imports.
"""
