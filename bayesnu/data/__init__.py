"""Real-data layer of bayesnu: typed, validated loaders and bundled public data.

Entry points
------------
* :func:`load` -- a bundled name (``"ic40"``, ``"ic86_2011"``, ``"txs0506"``,
  ``"icecat1"``, ``"4lac"``, ``"4lac_dr2"``, ``"4fgl_dr2"``, ``"3fgl"``,
  ``"5bzcat"``) or a path (release folder or file; format detected, or
  ``format=``). Returns a :class:`Dataset` of :class:`EventSample` objects or a
  :class:`CatalogTable`.
* :func:`bundled_names`, :func:`bundled_path` -- the bundled sets.
* :func:`ps10yr_seasons` -- ``{season: (Uptime, EffectiveArea)}`` for the 10
  seasons of the 10-year point-source release.
* :func:`load_uptime`, :func:`load_effective_area` -- single official files.
* :func:`load_enu_to_emu` -- the published E_nu -> E_mu table (Fig. S4).
* :func:`write_generic` -- write events in the generic format
  (:mod:`bayesnu.data.generic`); read back with :func:`load`.

Units: degrees, MJD, log10(E/GeV), cm^2. Malformed input raises
:class:`bayesnu.errors.InputError` (one line naming file, line, column);
duplicated events raise :class:`bayesnu.errors.InputWarning`.
"""

from .bundled import bundled_names, bundled_path
from .core import CatalogTable, Dataset, EffectiveArea, EventSample, Footprint, Uptime
from .generic import read_generic, write_generic
from .icecube import load_effective_area, load_uptime
from .loaders import FORMATS, detect_format, load, load_enu_to_emu, ps10yr_seasons

__all__ = [
    "load",
    "detect_format",
    "FORMATS",
    "bundled_names",
    "bundled_path",
    "ps10yr_seasons",
    "load_uptime",
    "load_effective_area",
    "load_enu_to_emu",
    "write_generic",
    "read_generic",
    "Uptime",
    "EffectiveArea",
    "Footprint",
    "EventSample",
    "Dataset",
    "CatalogTable",
]
