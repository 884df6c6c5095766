"""A guided, hands-on linkage lesson on a small slice of the sample data with known truth.

:mod:`linkage.lesson.models` builds the lesson data and trains its models (kept in-process),
:mod:`linkage.lesson.pieces` holds what the steps share, :mod:`linkage.lesson.steps` the six
steps and :mod:`linkage.lesson.course` the outline, the exercise and the warm-up.
"""
