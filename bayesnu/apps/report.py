"""Self-contained HTML reports: one writer for the demo, scans, fits and every new analysis.

A report is one HTML file that opens in any browser without the folder it
came from: images are embedded as base64 ``data:`` URIs, the style sheet is
inline, nothing is loaded from the network. It opens with the analysis
stated in two sentences, then holds sections of results tables, figures and
short paragraphs, and ends with provenance (bayesnu version, command, UTC
time).

API
---
Build a :class:`Report`, add sections in reading order, write it::

    from bayesnu.apps.report import Report, format_pvalue

    rep = Report("Flare search at TXS 0506+056",
                 statement="We fit a Gaussian flare ... . The local p-value ... .",
                 command="bayesnu demo --out demo")
    rep.add_table("Results", ["quantity", "this package", "published"],
                  [["ns (events)", 10.4, "13.1 +5.0 -4.6"], ...],
                  note="IceCube 2018 (Science 361, 147)")
    rep.add_key_values("Settings", {"background trials": 1000, "seed": 1})
    rep.add_figure("corner", "demo/corner.png", caption="NUTS posterior ...")
    rep.add_text("Why our significance is lower", "The public release ...")
    rep.write("demo/report.html")       # atomic; returns the path

* :meth:`Report.add_table` -- a table; cells may be numbers (formatted with
  :func:`format_number`) or strings; every number shown is recorded in the
  report's manifest.
* :meth:`Report.add_key_values` -- a two-column table from a mapping.
* :meth:`Report.add_figure` -- a PNG/JPEG/SVG file embedded (the file must exist).
* :meth:`Report.add_text` -- a paragraph (plain text, escaped).
* :meth:`Report.render` -- the HTML as a string; :meth:`Report.write` writes it
  atomically (temporary file in the same folder, then ``os.replace``).

The written page carries a machine-readable manifest in
``<script type="application/json" id="bayesnu-manifest">``: the title, the
names of every embedded figure and every number shown, so tests (and users)
can check that everything promised is present.

Helpers for honest numbers:

* :func:`empirical_pvalue` -- local p-value ``(k+1)/(n+1)`` from background
  trials with a Clopper-Pearson interval on the exceedance probability, and a
  flag when it sits at its resolution floor ``1/(n+1)``;
* :func:`format_pvalue` -- ``p = 0.0061 [0.0037, 0.0093]`` or, at the floor,
  ``p < 0.0103``.

Used by :mod:`bayesnu.apps.demo` (``bayesnu demo``), ``bayesnu flare scan``
and ``bayesnu ps fit --plot``; the CnuB and blazar commands call the same API.
"""

from __future__ import annotations

import base64
import html
import json
import math
import mimetypes
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bayesnu.errors import InputError
from bayesnu.pvalues import at_floor as pvalue_at_floor

__all__ = ["Report", "format_number", "format_pvalue", "empirical_pvalue", "MANIFEST_ID"]

#: id of the JSON manifest element in a written report
MANIFEST_ID = "bayesnu-manifest"

_CSS = """
body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;max-width:1100px;
margin:2em auto;padding:0 1.2em;color:#1b1b1b;line-height:1.45;font-size:16px}
h1{font-size:1.8em;margin-bottom:.2em}h2{font-size:1.3em;border-bottom:2px solid #d7e3ef;
padding-bottom:.2em;margin-top:1.8em}
.statement{font-size:1.1em;background:#f2f7fb;border-left:5px solid #1f4e79;padding:.8em 1em}
table{border-collapse:collapse;margin:.6em 0;font-size:.95em}
th,td{border:1px solid #c9d3dd;padding:.35em .7em;text-align:left;vertical-align:top}
th{background:#e8eff6}td.num{font-variant-numeric:tabular-nums}
figure{margin:1em 0}figure img{max-width:min(100%,960px);border:1px solid #e0e0e0}
figcaption{font-size:.92em;color:#444;margin-top:.3em}
.note{font-size:.9em;color:#444}.flag{color:#a04000;font-weight:600}
footer{margin-top:2.5em;font-size:.85em;color:#666;border-top:1px solid #ddd;padding-top:.5em}
"""


def format_number(x: Any, digits: int = 3) -> str:
    """Format a table number: ``10.4``, ``57007.4``, ``0.0061``, ``2.9e-07``; NaN -> ``n/a``.

    Integers are printed in full; floats with ``digits`` significant digits,
    but never fewer than one decimal for values from 1000 to 1e6 (MJD, TS), and
    in exponent form (``1.52e+18``) from 1e6 on.
    """
    if x is None:
        return "n/a"
    if isinstance(x, bool | np.bool_):
        return "yes" if x else "no"
    if isinstance(x, int | np.integer):
        return f"{int(x):,}" if abs(int(x)) >= 10000 else str(int(x))
    v = float(x)
    if not math.isfinite(v):
        return "n/a" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    if v == 0:
        return "0"
    a = abs(v)
    if a >= 1e6:                      # eta ~ 1e18, fluxes: exponent, not 19 digits
        return f"{v:.{digits}g}"
    if a >= 1000:
        return f"{v:.1f}"
    if a >= 1e-3:
        return f"{v:.{digits}g}"
    return f"{v:.{max(digits - 1, 1)}e}"


def empirical_pvalue(ts_obs: float, background: np.ndarray, cl: float = 0.68) -> dict[str, Any]:
    """Local p-value from background trials, with its binomial uncertainty.

    Parameters
    ----------
    ts_obs : float
        Observed test statistic.
    background : array, shape (n_trials,)
        Background TS values (scrambled trials).
    cl : float
        Two-sided confidence level of the Clopper-Pearson interval.

    Returns
    -------
    dict
        ``p`` = ``(k+1)/(n+1)`` with ``k`` trials at or above ``ts_obs``;
        ``n_trials``, ``n_at_or_above``; ``interval`` = Clopper-Pearson
        interval of the exceedance probability ``k/n`` at ``cl``;
        ``at_floor`` = True when ``k = 0`` (the value is then only an upper
        bound: the true p-value is below the resolution ``1/(n+1)``);
        ``upper_bound_95`` = one-sided 95% Clopper-Pearson upper bound.
    """
    from scipy.stats import beta

    bg = np.asarray(background, dtype=np.float64)
    bg = bg[np.isfinite(bg)]
    n = int(bg.size)
    if n == 0:
        raise InputError("empty background ensemble: need at least one trial", column="ts")
    k = int(np.count_nonzero(bg >= ts_obs))
    a = (1.0 - cl) / 2.0
    lo = 0.0 if k == 0 else float(beta.ppf(a, k, n - k + 1))
    hi = 1.0 if k == n else float(beta.ppf(1 - a, k + 1, n - k))
    ub95 = 1.0 if k == n else float(beta.ppf(0.95, k + 1, n - k))
    return {"p": (k + 1.0) / (n + 1.0), "n_trials": n, "n_at_or_above": k,
            "interval": [lo, hi], "interval_cl": cl, "at_floor": k == 0,
            "upper_bound_95": ub95}


def format_pvalue(p: float | Mapping[str, Any], n_trials: int | None = None,
                  with_sigma: bool = True, trials: str = "background trials",
                  statistic: str = "TS") -> str:
    """Text for a p-value: its interval, or ``p < floor`` when at the resolution floor.

    Parameters
    ----------
    p : float or dict
        A p-value, or the dict of :func:`empirical_pvalue` (then the interval
        and the floor flag come from it).
    n_trials : int, optional
        Background trials behind a plain float ``p``; if ``p <= 1/(n+1)`` it
        is reported as an upper bound.
    with_sigma : bool
        Append the one-sided Gaussian equivalent (``2.5 sigma``).
    trials : str
        What the trials are called, plural (``"control samples"``, ``"scrambles"``).
    statistic : str
        What was compared with the trials (``"TS"``, ``"R(0)"``, ``"count"``).
    """
    from scipy.stats import norm

    interval = None
    if isinstance(p, Mapping):
        d = p
        p, n_trials, interval = float(d["p"]), int(d["n_trials"]), d.get("interval")
        at_floor = bool(d["at_floor"])
    else:
        p = float(p)
        at_floor = n_trials is not None and pvalue_at_floor(p, n_trials)
    if not math.isfinite(p):
        return "p = n/a"
    sig = float(norm.isf(p)) if 0 < p < 1 else float("nan")
    if at_floor:
        s = f"p < {p:.3g}"
        if with_sigma and math.isfinite(sig):
            s += f" (> {sig:.1f} sigma)"
        one = trials[:-1] if trials.endswith("s") else trials
        return s + (f", no {one} of {n_trials:,} reached the observed {statistic}"
                    if n_trials else "")
    s = f"p = {p:.2g}"
    if interval is not None:
        s += f" [{interval[0]:.2g}, {interval[1]:.2g}]"
    if with_sigma and math.isfinite(sig):
        s += f" ({sig:.1f} sigma)"
    if n_trials:
        s += f" from {n_trials:,} {trials}"
    return s


@dataclass
class _Section:
    kind: str
    heading: str
    body: Any
    note: str | None = None


@dataclass
class Report:
    """An HTML report under construction (see the module docstring for the API).

    Parameters
    ----------
    title : str
        Page title and heading.
    statement : str
        The analysis in two sentences (shown first, highlighted).
    command : str, optional
        The command that produced the results (shown in the footer).
    """

    title: str
    statement: str
    command: str | None = None
    sections: list[_Section] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)

    def add_table(self, heading: str, columns: Sequence[str], rows: Sequence[Sequence[Any]],
                  note: str | None = None) -> Report:
        """Add a table; numeric cells are formatted with :func:`format_number`."""
        ncol = len(columns)
        for r in rows:
            if len(r) != ncol:
                raise InputError(f"report table {heading!r}: row {list(r)!r} has {len(r)} cells, "
                                 f"expected {ncol}", column="rows")
        self.sections.append(_Section("table", heading, (list(columns), [list(r) for r in rows]),
                                      note))
        return self

    def add_key_values(self, heading: str, items: Mapping[str, Any],
                       note: str | None = None) -> Report:
        """Add a two-column (quantity, value) table from a mapping."""
        return self.add_table(heading, ["quantity", "value"], [[k, v] for k, v in items.items()],
                              note)

    def add_figure(self, name: str, path: str | os.PathLike, caption: str = "",
                   heading: str | None = None) -> Report:
        """Embed an image file (PNG, JPEG or SVG) under ``heading`` with a caption."""
        p = Path(path)
        if not p.is_file():
            raise InputError(f"report figure {name!r}: file {p} not found", column="path")
        self.sections.append(_Section("figure", heading or "", (name, p, caption)))
        return self

    def add_text(self, heading: str, text: str) -> Report:
        """Add a paragraph (plain text; blank lines separate paragraphs)."""
        self.sections.append(_Section("text", heading, text))
        return self

    # -- rendering ---------------------------------------------------------
    def _cell(self, v: Any) -> str:
        if isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool):
            s = format_number(v)
            self.numbers.append(s)
            return f'<td class="num">{html.escape(s)}</td>'
        return f"<td>{html.escape(str(v))}</td>"

    def render(self) -> str:
        """The report as one self-contained HTML string."""
        from bayesnu import __version__

        self.numbers, self.figures = [], []
        out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
               f"<title>{html.escape(self.title)}</title>",
               '<meta name="viewport" content="width=device-width, initial-scale=1">',
               f"<style>{_CSS}</style></head><body>",
               f"<h1>{html.escape(self.title)}</h1>",
               f'<p class="statement" id="statement">{html.escape(self.statement)}</p>']
        for s in self.sections:
            if s.heading:
                out.append(f"<h2>{html.escape(s.heading)}</h2>")
            if s.kind == "table":
                cols, rows = s.body
                out.append("<table><thead><tr>" + "".join(
                    f"<th>{html.escape(str(c))}</th>" for c in cols) + "</tr></thead><tbody>")
                for r in rows:
                    out.append("<tr>" + "".join(self._cell(v) for v in r) + "</tr>")
                out.append("</tbody></table>")
                if s.note:
                    out.append(f'<p class="note">{html.escape(s.note)}</p>')
            elif s.kind == "figure":
                name, p, caption = s.body
                mime = mimetypes.guess_type(p.name)[0] or "image/png"
                data = base64.b64encode(p.read_bytes()).decode("ascii")
                self.figures.append(name)
                out.append(f'<figure id="fig-{html.escape(name)}"><img data-name="'
                           f'{html.escape(name)}" alt="{html.escape(caption or name)}" '
                           f'src="data:{mime};base64,{data}">'
                           f"<figcaption>{html.escape(caption)}</figcaption></figure>")
            else:
                for par in str(s.body).split("\n\n"):
                    out.append(f"<p>{html.escape(par.strip())}</p>")
        stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        foot = f"bayesnu {html.escape(__version__)}, written {stamp}"
        if self.command:
            foot += f"; command: <code>{html.escape(self.command)}</code>"
        out.append(f"<footer>{foot}</footer>")
        manifest = {"title": self.title, "figures": self.figures, "numbers": self.numbers}
        out.append(f'<script type="application/json" id="{MANIFEST_ID}">'
                   + json.dumps(manifest).replace("</", "<\\/") + "</script>")
        out.append("</body></html>")
        return "\n".join(out)

    def write(self, path: str | os.PathLike) -> str:
        """Write the report atomically to ``path`` (folders created); return the path."""
        from bayesnu.atomic import write_text

        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        write_text(p, self.render())
        return str(p)
