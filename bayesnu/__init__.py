"""bayesnu: neutrino-astronomy analyses, frequentist and Bayesian, from one model definition.

Subpackages
-----------
bayesnu.data        loaders of the public IceCube / Fermi data and the bundled copies
bayesnu.detector    effective areas, energy and angular response, flux <-> events
bayesnu.simulate    scrambled backgrounds, injected signals, cascade-like samples
bayesnu.transport   propagation of TeV-PeV neutrinos through the cosmic neutrino background
bayesnu.models      PyMC model builders (installed from ``models/``)
bayesnu.inference   fits, TS profiles, trials, limits, sampling, evidences (from ``inference/``)
"""

from bayesnu._version import __version__
from bayesnu.errors import BayesnuError, InputError, InputWarning

__all__ = ["__version__", "BayesnuError", "InputError", "InputWarning"]
