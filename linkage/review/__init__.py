"""Clerical review: pairs to browse and label, labels and their CSV, which pairs to label next,
and labels that re-estimate the model."""
