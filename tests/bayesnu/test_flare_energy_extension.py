"""The flare likelihood's energy tables extend beyond the data's energy range.

Injected signal events can be reconstructed above every real event of a sample (e.g.
about 2 % of IC86-2011 signal events at gamma 1.5 and dec -30 deg). The flare model used
to put them into the top data cell, whose signal density does not hold the mass above the
data; now they get extension cells, as in the point-source likelihood. The data's own
energy S/B -- and so every fit of real or scrambled data, the cached scans and the
scrambled-sky campaigns -- stay the same, bitwise.
"""

import numpy as np

from bayesnu.data.core import EventSample
from bayesnu.flare.trials import make_model
from bayesnu.pdfs.energy import BackgroundEnergyPDF, SignalEnergyPDF

DEC = 5.7  # deg, inside the release's area (TXS 0506+056)


def _unextended_table(model, dec):
    """log S/B table of the energy cells as the flare model computed it before the
    extension: background and signal on the data's own reco edges, one matrix product."""
    s = model.sample
    bg = BackgroundEnergyPDF(s.sindec, s.log10e)
    aeff = s.aeff
    te = np.asarray(aeff.log10e_edges)
    area = aeff(0.5 * (te[1:] + te[:-1]), np.full(te.size - 1, dec))
    sd = np.sin(np.radians(dec))
    resp = model.response.matrix(te, bg.reco_edges, sd)
    sig = SignalEnergyPDF.from_response(te, area, resp, bg.reco_edges, model.gamma_grid)
    logr = np.log(np.maximum(sig.table, 1e-300))[:, None, :] - np.log(bg.table)[None, :, :]
    return bg, np.maximum(logr, -700.0)


def test_data_cells_unchanged_bitwise(txs_ic86b):
    model = make_model(txs_ic86b)
    ext = model.bg_energy
    assert ext.core.start > 0 and ext.core.stop < ext.n_reco  # extension on both sides
    bg, ref = _unextended_table(model, DEC)
    np.testing.assert_array_equal(ext.table[:, ext.core], bg.table)
    tab = model.energy_log_ratio(DEC).reshape(model.gamma_grid.size, ext.n_bands, ext.n_reco)
    np.testing.assert_array_equal(tab[:, :, ext.core], ref)
    # the ROI's energy S/B of the data events: the same numbers as before
    fd = model.data_at(77.36, DEC)
    old_cells = bg.cell_index(txs_ic86b.sindec, txs_ic86b.log10e)[fd.index]
    np.testing.assert_array_equal(fd.log_sob_energy, ref.reshape(ref.shape[0], -1)[:, old_cells])


def test_injected_event_above_the_data_gets_an_extension_cell(txs_ic86b):
    model = make_model(txs_ic86b)
    ext = model.bg_energy
    top = float(txs_ic86b.log10e.max())
    edge = float(ext.reco_edges[ext.core.stop])  # upper edge of the data's table
    le = np.array([top, edge + 0.05, edge + 1.0])
    ev = EventSample("injected", np.full(3, 77.36), np.full(3, DEC), np.full(3, 56000.0), le,
                     np.full(3, 0.5))
    _, e = model.event_sob(77.36, DEC, ev)
    reco_bin = ext.cell_index(ev.sindec, le) % ext.n_reco
    assert ext.core.start <= reco_bin[0] < ext.core.stop  # a real event: a data bin
    # above the table: extension bins (they used to be clipped into the top data bin)
    assert np.all(reco_bin[1:] >= ext.core.stop) and reco_bin[2] > reco_bin[1]
    assert np.all(np.isfinite(e))
    # an event 1 dex above the table was given the top data cell's S/B before; its own
    # cell has another S/B (no background there but the floor)
    top_cell = model.energy_log_ratio(DEC)[:, ext.cell_index(ev.sindec[:1], [edge - 1e-3])[0]]
    assert not np.allclose(e[:, 2], top_cell)
    # the signal table now keeps the mass above the data: it integrates to ~1 over the
    # extended edges at gamma 2, more than over the data's range alone
    aeff = txs_ic86b.aeff
    te = np.asarray(aeff.log10e_edges)
    area = aeff(0.5 * (te[1:] + te[:-1]), np.full(te.size - 1, DEC))
    resp = [model.response.matrix(te, b, np.sin(np.radians(DEC))) for b in ext.edge_blocks]
    sig = SignalEnergyPDF.from_response(te, area, resp, ext.reco_edges, model.gamma_grid)
    w = np.diff(ext.reco_edges)
    g2 = int(np.argmin(np.abs(model.gamma_grid - 2.1)))
    total, core = float(sig.table[g2] @ w), float(sig.table[g2, ext.core] @ w[ext.core])
    assert 0.99 < total <= 1.0 + 1e-9
    assert core < total - 1e-3
