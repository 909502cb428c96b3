"""Plot smoke tests: every plot carries axis labels with units, thresholds and legends."""

import arviz as az
import healpy as hp
import numpy as np
from bayesnu.inference.plots import (
    corner_plot,
    flare_light_curve,
    sky_map,
    trace_plot,
    ts_curve_plot,
)
from bayesnu.inference.style import WILKS_LEVELS, label


def _texts(fig):
    out = []
    for ax in fig.axes:
        out += [ax.get_xlabel(), ax.get_ylabel(), ax.get_title()]
        out += [t.get_text() for t in ax.texts]
        leg = ax.get_legend()
        if leg is not None:
            out += [t.get_text() for t in leg.get_texts()]
    for leg in fig.legends:
        out += [t.get_text() for t in leg.get_texts()]
    if fig._suptitle is not None:
        out.append(fig._suptitle.get_text())
    return " | ".join(out)


def _idata():
    rng = np.random.default_rng(2)
    return az.from_dict(posterior={"ns": rng.normal(10, 3, (2, 300)),
                                   "gamma": rng.normal(2.2, 0.2, (2, 300)),
                                   "t0": rng.normal(57004, 20, (2, 300)),
                                   "sigma_t": np.exp(rng.normal(4, 0.3, (2, 300)))})


def test_corner_plot_units_offsets_and_credible_levels(tmp_path):
    fig = corner_plot(_idata(), path=tmp_path / "c.png", title="posterior",
                      reference={"ns": 13.1, "t0": 57004.0}, reference_label="IceCube 2018")
    txt = _texts(fig)
    assert "(signal events)" in txt and "(days)" in txt and "spectral index" in txt
    assert "MJD 57000" in txt                         # T0 shown as an offset from a round MJD
    assert "68% credible" in txt and "95% credible" in txt and "IceCube 2018" in txt
    # T0 tick labels are short (no six-digit MJDs running into each other)
    ax = fig.axes[-1]
    assert all(len(t.get_text()) <= 5 for t in ax.get_xticklabels())
    assert (tmp_path / "c.png").stat().st_size > 20000


def test_trace_plot_labels(tmp_path):
    fig = trace_plot(_idata(), ["ns", "t0"], path=tmp_path / "t.png")
    txt = _texts(fig)
    assert "(signal events)" in txt and "MJD 57000" in txt and "draw" in txt


def test_ts_curve_has_wilks_thresholds(tmp_path):
    x = np.linspace(0, 40, 81)
    fig = ts_curve_plot(x, 12 - 0.05 * (x - 15) ** 2, "ns", path=tmp_path / "p.png", best=15)
    txt = _texts(fig)
    for cl, thr in WILKS_LEVELS:
        assert f"ΔTS = {thr:.2f}" in txt and f"{cl:.0%}" in txt
    assert label("ns") in txt and "best fit" in txt
    hlines = [ln.get_ydata()[0] for ln in fig.axes[0].lines if len(set(ln.get_ydata())) == 1]
    assert all(any(abs(h - thr) < 1e-9 for h in hlines) for _, thr in WILKS_LEVELS)


def test_sky_map_graticule_labels_colorbar_legend(tmp_path):
    m = np.random.default_rng(0).chisquare(2, hp.nside2npix(8)) * 1e5 + 123456.0
    fig = sky_map(m, path=tmp_path / "s.png", title="TS map", unit="TS",
                  markers=[{"ra": 77.4, "dec": 5.7, "label": "hottest spot (north)"}])
    ax, cb = fig.axes[0], fig.axes[1]
    assert "right ascension" in ax.get_xlabel() and "declination" in ax.get_ylabel()
    assert ax.xaxis._major_tick_kw.get("gridOn", True)
    assert any("°" in t.get_text() for t in ax.get_xticklabels())
    assert "hottest spot (north)" in _texts(fig)
    assert cb.get_xlabel() == "TS"
    # colour-bar tick labels are short even for six-digit values
    assert all(len(t.get_text()) <= 7 for t in cb.get_xticklabels())


def test_flare_light_curve_labels(tmp_path):
    rng = np.random.default_rng(1)
    t = np.sort(rng.uniform(56000, 57200, 200))
    fig = flare_light_curve(t, rng.normal(-1, 1, 200), rng.uniform(0, 1, 200),
                            path=tmp_path / "l.png",
                            gauss={"t0": 57004.0, "sigma_t": 55.0, "ns": 12.0},
                            box={"t_start": 56937.8, "t_stop": 57096.2, "ns": 11.0},
                            reference_span=(56937.81, 57096.21))
    txt = _texts(fig)
    assert "time (MJD)" in txt and "events / day" in txt and "Gaussian fit" in txt
    assert "published window" in txt


def test_global_pvalue_plot_in_style(tmp_path):
    from bayesnu.inference.pvalues import plot_global_pvalues

    rng = np.random.default_rng(1)
    panels = {"north": {"p_min": rng.uniform(1e-5, 1e-3, 12), "p_obs": 1.3e-4, "n_eff": 1.2e4,
                        "n_eff_interval": [9e3, 1.6e4]}, "south": None}
    out = plot_global_pvalues(panels, tmp_path / "g.png", title="hottest p")
    assert out.endswith("g.png") and (tmp_path / "g.png").stat().st_size > 10000
