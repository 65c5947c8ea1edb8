"""Command-line interface: thin Click commands over the service layer."""
