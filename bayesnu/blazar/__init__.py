"""Neutrino-blazar correlation toolkit (core layer: numpy / numba, no PyMC).

Modules
-------
* :mod:`bayesnu.blazar.groups` -- named blazar groups (the TXS-like and CFS
  lists of Kun et al. 2022 / Franckowiak-style selections, with 4FGL-DR2
  positions) and catalogue groups (4LAC classes, SED classes, 5BZCAT classes)
  with catalogue cuts.
* :mod:`bayesnu.blazar.spatial` -- the spatial counting test: events with at
  least one group blazar inside their error circle, RA-scrambled and closed-form
  expectations, right-tailed p-values.
* :mod:`bayesnu.blazar.temporal` -- light-curve based temporal tests (R(t),
  simultaneity).

The Bayesian association model lives in :mod:`bayesnu.models.blazar`, its
inference in :mod:`bayesnu.inference.blazar_spatial` and
:mod:`bayesnu.inference.blazar_stacking`.
"""
