"""Cross-chart consistency: the values openstack-helm needs identical in several charts.

Pure functions of the charts' combined overrides, so the CLI, the override service's update
gate and tests all run the very same rules.
"""

from helmdeck.check.rules import RULES, Context, Inconsistency, check_consistency

__all__ = ["RULES", "Context", "Inconsistency", "check_consistency"]
