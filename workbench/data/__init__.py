"""Data in: import, the catalogue, profiles, exploration and date reading."""
