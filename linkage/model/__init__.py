"""The linkage model: workspace inputs, suggestion, comparisons, blocking, training, saved runs,
cached linkers, parameters, scoring and the comparison viewer."""
