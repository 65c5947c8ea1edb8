"""Deployment: the Helm adapter, render, plan and apply in dependency order."""
