"""bayesnu.detector."""
