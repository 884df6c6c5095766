"""Person columns: role suggestion and standardisation for linkage."""
