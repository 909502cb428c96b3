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

from pathlib import Path

from bayesnu import _pytensor_setup, _source_tree

# must run before anything imports pytensor (see the module's docstring): done just before
# pytensor is first imported
_pytensor_setup.install()
# a source checkout: bayesnu.models / bayesnu.inference live in ../models, ../inference
_source_tree.install(Path(__file__).resolve().parent)

from bayesnu._version import __version__  # noqa: E402
from bayesnu.errors import BayesnuError, InputError, InputWarning  # noqa: E402

__all__ = ["__version__", "BayesnuError", "InputError", "InputWarning"]
