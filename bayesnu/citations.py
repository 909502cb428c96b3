"""Citation constants: what user-facing text (help, messages, plot titles, docstrings) cites.

The short names match ``docs/glossary.md``. Text refers to a method by its
short name (``CASCADE_FLARES_2023.short``) and may add the full reference
(``.full``); numbered internal labels are not used.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Citation", "CASCADE_FLARES_2023", "TXS_2018", "BLAZAR_FLARES",
           "FRANKLIN_2025", "FRANKLIN_2023", "ESTEBAN_2021"]


@dataclass(frozen=True)
class Citation:
    """A reference: the short name used in text and the full reference."""

    short: str
    full: str

    def __str__(self) -> str:
        return self.short


#: the flare likelihood, TS with the duration term, seeding, scans and trials
CASCADE_FLARES_2023 = Citation(
    "IceCube 2023 cascade flare search",
    "IceCube Collaboration, all-sky search for neutrino flares with 10 years (2011-2021) of "
    "IceCube cascade events (2023)")
#: the TXS 0506+056 flare and its data release
TXS_2018 = Citation(
    "IceCube 2018 (TXS 0506+056)",
    "IceCube Collaboration, 'Neutrino emission from the direction of the blazar TXS 0506+056 "
    "prior to the IceCube-170922A alert', Science 361 (2018) 147")
#: neutrino-blazar correlations with multi-frequency light curves (count-based flux limits)
BLAZAR_FLARES = Citation(
    "neutrino-blazar flare correlation study",
    "Neutrino-blazar correlation study with infrared (WISE) and gamma-ray (Fermi) flaring light "
    "curves of blazars in IceCube alert regions")
#: CnuB overdensity and secret interactions with TeV neutrinos
FRANKLIN_2025 = Citation(
    "Franklin et al. 2025 (CnuB)",
    "Franklin, Martinez-Soler, Perez-Gonzalez & Turner, 'Probing the Cosmic Neutrino "
    "Background and New Physics with TeV-Scale Astrophysical Neutrinos' (2025)")
#: the NGC 1068 letter
FRANKLIN_2023 = Citation(
    "Franklin et al. 2023 (NGC 1068 letter)",
    "Franklin, Martinez-Soler, Perez-Gonzalez & Turner, 'Constraints on the Cosmic Neutrino "
    "Background from NGC 1068' (2023)")
#: secret neutrino interactions of a diffuse source population
ESTEBAN_2021 = Citation("Esteban et al. 2021", "Esteban, Pandey, Brdar & Beacom, "
                        "arXiv:2107.13568 (2021)")
