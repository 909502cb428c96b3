"""The HTML report writer and the demo's report: every promised image and number is present."""

import base64
import json
import re
from html.parser import HTMLParser

import numpy as np
import pytest
from bayesnu.inference.plots import background_ts_plot, ts_curve_plot

from bayesnu.apps.report import (
    MANIFEST_ID,
    Report,
    empirical_pvalue,
    format_number,
    format_pvalue,
)
from bayesnu.errors import InputError


class _Page(HTMLParser):
    """Collects images, table cells, headings, the manifest and every external reference."""

    def __init__(self):
        super().__init__()
        self.images, self.cells, self.headings, self.external = {}, [], [], []
        self.manifest, self._tag, self._buf, self.text = None, None, [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("src", "href"):
            if key in a and not str(a[key]).startswith(("data:", "#")):
                self.external.append(a[key])
        if tag == "img":
            self.images[a.get("data-name")] = a.get("src", "")
        if tag in ("td", "th", "h2", "script", "p"):
            self._tag, self._buf = (tag, a), []

    def handle_data(self, data):
        self.text.append(data)
        if self._tag is not None:
            self._buf.append(data)

    def handle_endtag(self, tag):
        if self._tag is None or tag != self._tag[0]:
            return
        s = "".join(self._buf).strip()
        if tag == "td":
            self.cells.append(s)
        elif tag == "h2":
            self.headings.append(s)
        elif tag == "script" and self._tag[1].get("id") == MANIFEST_ID:
            self.manifest = json.loads(s)
        self._tag = None


def parse(path):
    page = _Page()
    page.feed(open(path, encoding="utf-8").read())
    return page


def check_png(src):
    assert src.startswith("data:image/png;base64,")
    raw = base64.b64decode(src.split(",", 1)[1])
    assert raw[:8] == b"\x89PNG\r\n\x1a\n" and len(raw) > 5000


def test_report_writer_embeds_figures_and_numbers(tmp_path):
    x = np.linspace(56900, 57100, 41)
    ts_curve_plot(x, 10 - ((x - 57004) / 30) ** 2, "t0", path=tmp_path / "prof.png", best=57004)
    bg = np.random.default_rng(1).exponential(2.0, 300)
    background_ts_plot(bg, 25.0, path=tmp_path / "bg.png")
    pv = empirical_pvalue(25.0, bg)
    rep = Report("Test report", "First sentence. Second sentence.", command="bayesnu test")
    rep.add_table("Results", ["quantity", "ours", "published"],
                  [["ns (events)", 10.43, "13.1 +5.0 -4.6"], ["T0 (MJD)", 57007.41, "57004"],
                   ["trials", 300, ""], ["local p", format_pvalue(pv), "3.5 sigma"]])
    rep.add_figure("profile", tmp_path / "prof.png", caption="TS profile")
    rep.add_figure("background", tmp_path / "bg.png", caption="background")
    rep.add_text("Why", "A paragraph.\n\nAnother one.")
    out = rep.write(tmp_path / "sub" / "report.html")
    page = parse(out)
    assert page.manifest["figures"] == ["profile", "background"]
    for name in page.manifest["figures"]:
        check_png(page.images[name])
    assert page.manifest["numbers"] == ["10.4", "57007.4", "300"]
    for n in page.manifest["numbers"]:
        assert n in page.cells
    assert "p < 0.00332" in " ".join(page.cells)          # floor 1/301, an upper bound
    assert page.external == []                              # self-contained
    assert "First sentence. Second sentence." in "".join(page.text)
    assert page.headings == ["Results", "Why"]
    with pytest.raises(InputError):
        rep.add_figure("missing", tmp_path / "nope.png")
    with pytest.raises(InputError):
        rep.add_table("bad", ["a", "b"], [[1]])


def test_empirical_pvalue_interval_and_floor():
    bg = np.arange(1000, dtype=float)            # TS 0..999
    d = empirical_pvalue(989.5, bg)               # 10 trials at or above
    assert d["n_at_or_above"] == 10 and not d["at_floor"]
    assert d["p"] == pytest.approx(11 / 1001)
    lo, hi = d["interval"]
    assert lo < 0.01 < hi and hi - lo < 0.01
    t = format_pvalue(d)
    assert t.startswith("p = 0.011 [") and "1,000 background trials" in t
    f = empirical_pvalue(5000.0, bg)
    assert f["at_floor"] and f["interval"][0] == 0.0
    assert format_pvalue(f).startswith("p < 0.000999")
    assert format_pvalue(1 / 97, n_trials=96).startswith("p < 0.0103")
    assert format_pvalue(1 / 101, n_trials=100, trials="scrambles", statistic="count") == (
        "p < 0.0099 (> 2.3 sigma), no scramble of 100 reached the observed count")
    assert format_number(float("nan")) == "n/a" and format_number(57007.44) == "57007.4"


@pytest.mark.slow
def test_demo_report_quick(tmp_path):
    """The demo's frequentist report (a small, fast variant): all figures and numbers."""
    from bayesnu.apps.demo import PUBLISHED, run_demo

    s = run_demo(tmp_path / "demo", n_trials=60, bayes=False, seed=3)
    page = parse(tmp_path / "demo" / "report.html")
    for name in ("time_series", "ts_profile", "background_ts"):
        check_png(page.images[name])
    assert "corner" not in page.images                       # no Bayesian part was run
    cells = " | ".join(page.cells)
    g = s["gauss"]
    for v in (g["t0"], g["ns"], g["gamma"], g["ts"], 2 * g["sigma_t"], s["box"]["ns"]):
        assert format_number(v) in page.cells
    assert f"{PUBLISHED['box_mjd'][0]} - {PUBLISHED['box_mjd'][1]}" in cells
    assert "13.1 +5.0 -4.6" in cells and "2.1 ± 0.2" in cells and "3.5 sigma" in cells
    for pdf in ("gauss", "box"):
        assert s["p_local"][pdf]["text"] in cells
        assert re.match(r"p [=<] ", s["p_local"][pdf]["text"])
    assert "Why our significance is lower" in page.headings
    assert page.external == []
    js = json.loads((tmp_path / "demo" / "summary.json").read_text())
    assert js["n_background_trials"] == 60 and "units" in js and "axes" in js
    assert js["p_local"]["gauss"]["n_trials"] == 60
    assert isinstance(js["p_local"]["box"]["at_floor"], bool)
    assert len(js["ts_profile_t0"]["t0_mjd"]) == len(js["ts_profile_t0"]["ts"])


def test_flare_scan_report_from_fits_maps(tmp_path):
    """Styled sky maps and report.html of a scan result (FITS maps as the scan writes them)."""
    import healpy as hp
    from bayesnu.inference.flare_scan import FlareScanResult

    from bayesnu.apps.command_reports import flare_scan_report

    rng = np.random.default_rng(5)
    npix = hp.nside2npix(4)
    cols = [rng.chisquare(2, npix), rng.uniform(0, 10, npix), rng.uniform(1, 4, npix),
            rng.uniform(55000, 56000, npix), rng.uniform(1, 100, npix),
            rng.uniform(1e-4, 1, npix)]
    fits = tmp_path / "flare_scan_maps.fits"
    hp.write_map(str(fits), cols, column_names=["TS", "NS", "GAMMA", "T0", "SIGMA_T", "P_LOCAL"],
                 dtype=np.float64)
    hot = {"north": {"ra": 77.4, "dec": 5.7, "ts": 21.37, "ns": 8.2, "gamma": 2.3,
                     "t0": 55500.2, "sigma_t": 12.0, "p_local": 0.00042},
           "south": {"ra": 250.0, "dec": -40.0, "ts": 18.5, "ns": 6.1, "gamma": 2.9,
                     "t0": 55100.7, "sigma_t": 3.3}}
    res = FlareScanResult(nside=4, sample="IC40", n_pixels_fitted=npix, seconds=12.0,
                          cpu_seconds=20.0, hottest=hot, files={"fits": str(fits)},
                          out_dir=str(tmp_path))
    path = flare_scan_report(res)
    page = parse(path)
    for name in ("ts_map", "pvalue_map"):
        check_png(page.images[name])
    assert res.files["report"] == path and res.files["png"].endswith("flare_scan_ts.png")
    for v in ("21.4", "77.4", "55500.2", "18.5", "-40"):
        assert v in page.cells
    assert any(c.startswith("p = 0.00042") for c in page.cells)
    assert "needs >= 2 scrambled skies" in page.cells
    assert page.external == []


def test_ps_fit_report(tmp_path):
    from bayesnu.inference import fit
    from bayesnu.models.pointsource import default_priors

    from bayesnu.apps.command_reports import ps_fit_report
    from bayesnu.data import load
    from bayesnu.likelihood import LikelihoodSetup
    from bayesnu.sources import resolve_source

    class Target:   # likelihood + priors, as the CLI builds without PyMC
        def __init__(self, lik):
            self.likelihood, self.priors = lik, default_priors(lik)

    lik = LikelihoodSetup(load("txs0506"), resolve_source("TXS 0506+056")).likelihood()
    t = Target(lik)
    best = fit(t)
    path = ps_fit_report(t, best, tmp_path / "ps", desc={"data": ["txs0506"],
                                                         "sources": [{"name": "TXS 0506+056"}]},
                         n_points=15)
    page = parse(path)
    for name in ("profile_ns", "profile_gamma"):
        check_png(page.images[name])
    assert format_number(best.ts) in page.cells
    assert any("90% Wilks interval" in c for c in page.cells)


# ---------------------------------------------------------------- CnuB and blazar commands
def _run_cli(capsys, argv):
    from bayesnu.cli import main

    rc = main(argv)
    out = capsys.readouterr()
    assert rc == 0, out.err
    return json.loads(out.out)


def test_cnb_limit_report_simulated(tmp_path, capsys):
    """cnb limit --report on the SIMULATED sample: TS(eta) plot, table numbers, the label."""
    d = _run_cli(capsys, ["cnb", "limit", "--source", "NGC 1068", "--data", "sim-ic86-ii-vii",
                          "--points", "30", "--bins", "60", "--report", str(tmp_path / "r"),
                          "--json", "--quiet"])
    page = parse(d["report"])
    assert page.manifest["figures"] == ["ts_eta"]
    check_png(page.images["ts_eta"])
    assert "SIMULATED data" in page.manifest["title"]
    assert "SIMULATED DATA" in "".join(page.text)
    q = d["per_source"][0]
    assert q["simulated"] is True
    for v in (q["ns_pl"], q["gamma_pl"], q["ts_pl"], d["eta_limit"], d["threshold"]):
        assert format_number(v) in page.cells, v
    assert "yes" in page.cells                                   # the 'simulated' column
    assert any("eta = n/n0" in t for t in page.text)             # units stated
    assert page.external == []


def test_cnb_scan_si_report(tmp_path, capsys):
    """cnb scan-si --report: the (m_phi, g) map and its numbers, real data (no label)."""
    d = _run_cli(capsys, ["cnb", "scan-si", "--source", "NGC 1068", "--n-m-phi", "4", "--n-g",
                          "4", "--bins", "60", "--report", str(tmp_path / "si"), "--json",
                          "--quiet"])
    page = parse(d["report"])
    check_png(page.images["si_map"])
    assert "SIMULATED" not in page.manifest["title"]
    ts = np.asarray(d["ts"])
    for v in (float(ts.max()), d["threshold"], d["excluded_fraction"]):
        assert format_number(v) in page.cells, v
    assert "4 x 4" in page.cells
    caption = " ".join(page.text)
    assert "BBN" in caption and "tau decays" in caption


def test_cnb_sample_quiet_and_report(tmp_path):
    """cnb sample --quiet prints no PyMC INFO line; --report holds posterior, corner, TS(eta).

    Run in a fresh process: PyMC's log handler writes to the process's real stderr.
    """
    import subprocess
    import sys

    rep = tmp_path / "s"
    cmd = [sys.executable, "-c", "import sys; from bayesnu.cli import main; "
           "raise SystemExit(main(sys.argv[1:]))", "cnb", "sample", "--source", "NGC 1068",
           "--data", "sim-ic86-ii-vii", "--draws", "30", "--tune", "30", "--chains", "2",
           "--points", "20", "--bins", "60", "--seed", "1", "--report", str(rep), "--json",
           "--quiet"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    for line in ("Initializing NUTS", "Multiprocess sampling", "Sequential sampling",
                 "NUTS: [", "Sampling 2 chains", "INFO"):
        assert line not in p.stderr, p.stderr
    d = json.loads(p.stdout)
    page = parse(d["report"])
    for name in ("posterior", "corner", "ts_eta"):
        check_png(page.images[name])
    for v in (float(d["eta_credible_90"]), float(d["eta_limit_90_cl"])):   # JSON: "inf"
        want = format_number(v) if np.isfinite(v) else "none (TS never reaches the threshold)"
        assert want in page.cells, v
    assert "SIMULATED data" in page.manifest["title"]
    assert "R-hat" in " ".join(page.text)


def test_blazar_spatial_report(tmp_path, capsys):
    """blazar spatial --report: counts vs expectation plot and every threshold's numbers."""
    d = _run_cli(capsys, ["blazar", "spatial", "--data", "ic40", "--group", "TXS-like",
                          "--n-scrambles", "2000", "--seed", "1", "--report",
                          str(tmp_path / "sp"), "--json", "--quiet"])
    page = parse(d["report"])
    check_png(page.images["spatial_counts"])
    for r in d["thresholds"]:
        for v in (r["log10e_min"], r["n_observed"], r["n_expected"], r["excess"]):
            assert format_number(v) in page.cells, v
    assert sum(c.startswith(("p = ", "p < ")) for c in page.cells) == len(d["thresholds"])
    assert page.external == []
    assert d["simulated"] is False and "SIMULATED" not in page.manifest["title"]


def test_blazar_spatial_report_labels_scrambled_data(tmp_path, capsys):
    """Events from 'bayesnu simulate scramble' are labelled SIMULATED in the report."""
    scr = tmp_path / "scr.npz"
    _run_cli(capsys, ["simulate", "scramble", "--data", "ic40", "--out", str(scr), "--seed", "2",
                      "--json", "--quiet"])
    d = _run_cli(capsys, ["blazar", "spatial", "--data", str(scr), "--group", "TXS-like",
                          "--n-scrambles", "300", "--seed", "1", "--report",
                          str(tmp_path / "sp"), "--json", "--quiet"])
    page = parse(d["report"])
    assert d["simulated"] is True and "SIMULATED data" in page.manifest["title"]
    assert "".join(page.text).count("SIMULATED DATA") == 1
    check_png(page.images["spatial_counts"])


def test_blazar_rtest_report(tmp_path, capsys):
    """blazar rtest --report: the R(t) plot, R(0) and the p-values with their trial count."""
    d = _run_cli(capsys, ["blazar", "rtest", "--n-control", "200", "--t-max", "200",
                          "--report", str(tmp_path / "rt"), "--json", "--quiet"])
    page = parse(d["report"])
    check_png(page.images["rt"])
    assert format_number(d["r_at_0"]) in page.cells
    assert format_number(d["n_pairs"]) in page.cells
    for k in ("p_pretrial_at_0", "min_p_pretrial"):
        want = format_pvalue(d[k], n_trials=200, trials="control samples", statistic="R")
        assert want in page.cells and "from 200 control samples" in want or want.startswith("p <")
        assert d[f"{k}_at_floor"] is want.startswith("p <")


def test_rt_plot_draws_floor_pvalues_as_upper_bounds(tmp_path):
    """p(t) at 1/(N+1) is not drawn as a value: open triangles at the floor, 'p <' label."""
    from types import SimpleNamespace

    from bayesnu.inference.plots import pvalue_floor_mask, rt_plot

    n = 99
    t = np.linspace(-50, 50, 11)
    p = np.full(t.size, 0.3)
    p[4:7] = 1.0 / (n + 1)
    one = np.ones(t.size)
    res = SimpleNamespace(shifts=t, r_obs=one * 1.2, r_ctrl_mean=one,
                          r_ctrl_bands={"q2.5": one * 0.5, "q97.5": one * 1.5, "q16": one * 0.8,
                                        "q84": one * 1.2}, p_pretrial=p, pairs=[("a", "s", 0.0)],
                          settings={"dT_d": 22.0, "factor": 1.5, "n_control": n})
    assert pvalue_floor_mask(p, n).tolist() == [False] * 4 + [True] * 3 + [False] * 4
    fig = rt_plot(res, path=tmp_path / "rt.png")
    ax2 = fig.axes[1]
    by_label = {ln.get_label(): ln for ln in ax2.get_lines()}
    value_line = by_label["p-value"]
    y = np.asarray(value_line.get_ydata(), dtype=float)
    assert np.all(np.isnan(y[4:7])) and np.allclose(y[:4], 0.3)
    bound = [ln for lab, ln in by_label.items() if lab.startswith("p < 0.01")]
    assert len(bound) == 1 and bound[0].get_marker() == "v"
    assert np.allclose(bound[0].get_ydata(), 0.01) and len(bound[0].get_xdata()) == 3
    assert (tmp_path / "rt.png").stat().st_size > 5000
