"""How good the linkage is: evaluation against labels or truth, health checks, sensitivity."""
