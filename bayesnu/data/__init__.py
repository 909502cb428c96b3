"""bayesnu.data."""
