"""The linkage model: suggestion, comparisons, blocking, training, parameters and scoring."""
