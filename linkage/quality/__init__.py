"""How good the linkage is: truth, evaluation against labels or truth, health checks,
sensitivity."""
