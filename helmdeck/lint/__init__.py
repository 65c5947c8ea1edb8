"""``helmdeck lint``: the openstack-helm chart conventions as checkable rules.

Tools built on openstack-helm (helmdeck's plugins first of all) rely on every chart keeping
the same values layout; a chart that silently breaks it breaks them. Each convention is a
rule with an ID so findings can be filtered, disabled per chart and reported to CI.
"""

from helmdeck.lint.model import Finding, Rule, Severity
from helmdeck.lint.rules import RULES
from helmdeck.lint.runner import chart_dirs, lint_chart, lint_paths

__all__ = ["RULES", "Finding", "Rule", "Severity", "chart_dirs", "lint_chart", "lint_paths"]
