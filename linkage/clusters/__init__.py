"""People from scored pairs: the model and cluster registry, stable ids and refreshes."""
