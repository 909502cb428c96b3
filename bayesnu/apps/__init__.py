"""Applications: the top layer of bayesnu, beside the command line.

* :mod:`bayesnu.apps.report` -- a self-contained HTML report writer (images
  embedded, the analysis in two sentences, results tables) used by
  ``bayesnu demo``, ``bayesnu flare scan`` and ``bayesnu ps fit --plot``;
* :mod:`bayesnu.apps.demo` -- the package's main demonstration: the 2014-15
  neutrino flare of TXS 0506+056, frequentist and Bayesian.

Modules here may import every other layer (data, likelihood, models,
inference, cli helpers); nothing below imports them.
"""
