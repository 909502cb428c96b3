"""Neutrino-blazar correlation toolkit (core layer: numpy / numba, no PyMC).

Modules
-------
* :mod:`bayesnu.blazar.groups` -- named blazar groups (the published TXS-like
  and CFS lists of the WISE / Fermi flaring-light-curve study, with 4FGL-DR2
  positions) and catalogue groups (4LAC classes, SED classes, 5BZCAT classes)
  with catalogue cuts.
* :mod:`bayesnu.blazar.spatial` -- the spatial counting test: events with at
  least one group blazar inside their error circle, RA-scrambled (sources or
  events) and closed-form expectations, right-tailed p-values.
* :mod:`bayesnu.blazar.stacking` -- the group stacking likelihood (equal, flux
  or light-curve weights), per-source strengths, IceCat-1 alert densities and
  the diffuse-flux comparison; :mod:`bayesnu.blazar.ops` -- its PyTensor Op.
* :mod:`bayesnu.blazar.temporal` -- light-curve based temporal tests (R(t),
  simultaneity).

The Bayesian association model lives in :mod:`bayesnu.models.blazar`, its
inference in :mod:`bayesnu.inference.blazar_spatial` and
:mod:`bayesnu.inference.blazar_stacking`.
"""
