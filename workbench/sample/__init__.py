"""The synthetic sample: police, CPS and court extracts with their truth."""
