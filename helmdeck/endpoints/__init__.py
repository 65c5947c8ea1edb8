"""The service catalog the charts register, computed with helm-toolkit's endpoint rules."""
