"""bayesnu.simulate."""
