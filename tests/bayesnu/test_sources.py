"""One source table for every command: aliases, offline by default, same positions everywhere."""

import pytest

from bayesnu.errors import InputError
from bayesnu.flare.analysis import SOURCES as FLARE_VIEW
from bayesnu.flare.analysis import resolve_position as flare_position
from bayesnu.sources import SOURCES, resolve_position, resolve_source


@pytest.mark.parametrize("alias,name", [("txs0506", "TXS 0506+056"), ("M77", "NGC 1068"),
                                        ("ngc-1068", "NGC 1068"), ("GC", "Galactic Center"),
                                        ("Galactic Centre", "Galactic Center"),
                                        ("sgr a", "Sgr A*")])
def test_aliases(alias, name):
    assert resolve_source(alias).name == name


def test_flare_and_ps_use_the_same_positions():
    for name, src in SOURCES.items():
        assert FLARE_VIEW[name] == (src.ra, src.dec)
        ra, dec, label = flare_position(name)
        assert (ra, dec) == (src.ra, src.dec) and label == name
    # the Galactic Center is (l, b) = (0, 0), Sgr A* 0.07 deg away: two entries
    gc, sgr = resolve_source("Galactic Center"), resolve_source("Sgr A*")
    assert 0.05 < abs(gc.dec - sgr.dec) < 0.1


def test_unknown_name_is_an_offline_input_error(monkeypatch):
    import astropy.coordinates

    def no_network(*args, **kwargs):
        raise AssertionError("name resolution must not go online by default")

    monkeypatch.setattr(astropy.coordinates.SkyCoord, "from_name", no_network)
    with pytest.raises(InputError, match="unknown source"):
        resolve_source("Not A Source")
    with pytest.raises(InputError, match="--ra"):
        resolve_position(None, 10.0, None)
    assert resolve_position(None, 10.0, -5.0) == (10.0, -5.0, "(10.000, -5.000)")
