"""Physical constants used by the transport solver (natural units converted to GeV, cm, s).

Sources: PDG 2022 (G_F, m_e, sin^2 theta_W in the MS-bar scheme at M_Z, hbar c);
relic density n0 = 56 cm^-3 per mass state and per degree of freedom (neutrino
or antineutrino) as in Franklin et al. 2023, 2025.
"""

from __future__ import annotations

G_F = 1.1663788e-5  # Fermi constant [GeV^-2]
HBARC2_CM2 = 0.3893793721e-27  # (hbar c)^2 [GeV^2 cm^2]: 1 GeV^-2 = this many cm^2
M_E = 0.51099895e-3  # electron mass [GeV]
SIN2_THETA_W = 0.23121  # weak mixing angle, MS-bar at M_Z
N0_CM3 = 56.0  # relic number density per mass state per dof today [cm^-3]
MPC_CM = 3.0856775814913673e24  # 1 Mpc [cm]
C_KM_S = 299792.458  # speed of light [km/s]
EV = 1e-9  # 1 eV in GeV
MEV = 1e-3  # 1 MeV in GeV
E0_GEV = 1000.0  # reference energy of the power law [GeV]
