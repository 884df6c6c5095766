"""Clerical review: which pairs to label next, and labels that re-estimate the model."""
