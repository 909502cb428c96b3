"""bayesnu.transport."""
