"""Literature references used by :mod:`bayesnu.lightcurve` (citation constants)."""

from bayesnu.citations import BLAZAR_FLARES

CITE_SCARGLE2013 = ("J. D. Scargle et al., 'Studies in Astronomical Time Series Analysis. VI. "
                    "Bayesian Block Representations', ApJ 764 (2013) 167, arXiv:1207.5578")
CITE_ASTROPY_BB = ("astropy.stats.bayesian_blocks (fitness='measures'), Astropy Collaboration, "
                   "ApJ 935 (2022) 167")
CITE_EDELSON_KROLIK1988 = ("R. A. Edelson and J. H. Krolik, 'The discrete correlation function: "
                           "a new method for analyzing unevenly sampled variability data', "
                           "ApJ 333 (1988) 646")
CITE_ABDO2010 = ("A. A. Abdo et al. (Fermi-LAT Collaboration), 'Gamma-ray light curves and "
                 "variability of bright Fermi-detected blazars', ApJ 722 (2010) 520, "
                 "arXiv:1004.0348")
CITE_VAUGHAN2003 = ("S. Vaughan et al., 'On characterizing the variability properties of X-ray "
                    "light curves from active galaxies', MNRAS 345 (2003) 1271")
CITE_PLAVIN2020 = ("A. Plavin et al., 'Observational evidence for the origin of high-energy "
                   "neutrinos in parsec-scale nuclei of radio-bright active galaxies', ApJ 894 "
                   "(2020) 101, arXiv:2001.00930")
#: the neutrino-blazar flare correlation study (short name in :mod:`bayesnu.citations`)
CITE_NU_BLAZAR_FLARES = BLAZAR_FLARES.full
