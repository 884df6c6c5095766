"""People from scored pairs: the model and cluster registry, re-clustering, the cluster graph,
stable ids and refreshes."""
