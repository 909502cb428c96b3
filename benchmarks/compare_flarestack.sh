#!/usr/bin/env bash
# Side-by-side speed comparison of bayesnu against flarestack (issues 3 and 4),
# measured in ONE run on the same machine:
#   (a) one time-integrated point-source background trial (scramble + fit)
#       at one source on IC86-2011          -> target: bayesnu >= 20x faster
#   (b) one box-flare background trial (scramble + flare fit) at one source
#       on IC86-2011                        -> target: bayesnu >= 50x faster
#
# flarestack lives in its own virtual environment OUTSIDE the repository
# (created here if absent; PyPI only): flarestack + scipy 1.13 + matplotlib<3.9.
# Nothing of flarestack is committed to bayesnu.
#
# Usage (from anywhere; bayesnu's own venv should be active, or set BAYESNU_PYTHON):
#   bash benchmarks/compare_flarestack.sh
# Environment knobs (defaults in brackets):
#   FS_VENV [<repo>/../fs-venv]      flarestack venv path
#   FS_PYTHON [python3.11]            interpreter used to create it
#   FS_VERSION [2.4.10]               flarestack version pinned at creation
#   FLARESTACK_SCRATCH_DIR [$TMPDIR/bayesnu-flarestack-scratch]
#   N_PS [10]  N_FLARE [4]           timed trials (after one untimed warm-up)
#   BAYESNU_PYTHON [python]           interpreter with bayesnu installed
#   BAYESNU_PS_ARGS / BAYESNU_FLARE_ARGS   extra args for bayesnu's scripts
#   OUT [fresh temp dir]              where the JSON/outputs of this run go
#
# Interface expected from bayesnu's scripts benchmarks/bench_ps_trial.py and
# benchmarks/bench_flare_trial.py: stdout holds the mean wall seconds per
# background trial (warm-up excluded) under one of the names seconds_per_trial,
# seconds_per_trial_mean, per_trial_s_mean, s_per_trial, sec_per_trial,
# per_trial_s, mean_s_per_trial (first found wins), either in a JSON object
# (whole stdout or a JSON line; nested keys searched), or as "key: value" lines,
# or as "key=value" tokens. Override the name with BAYESNU_PS_KEY / BAYESNU_FLARE_KEY.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$HERE")"
FS_VENV="${FS_VENV:-$(dirname "$REPO")/fs-venv}"
FS_PYTHON="${FS_PYTHON:-python3.11}"
FS_VERSION="${FS_VERSION:-2.4.10}"
export FLARESTACK_SCRATCH_DIR="${FLARESTACK_SCRATCH_DIR:-${TMPDIR:-/tmp}/bayesnu-flarestack-scratch}"
export MPLBACKEND=Agg
N_PS="${N_PS:-10}"
N_FLARE="${N_FLARE:-4}"
BAYESNU_PYTHON="${BAYESNU_PYTHON:-python}"
OUT="${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/bayesnu-vs-flarestack.XXXXXX")}"
mkdir -p "$OUT" "$FLARESTACK_SCRATCH_DIR"

case "$FS_VENV/" in
  "$REPO"/*) echo "refusing: FS_VENV ($FS_VENV) must be outside the repository" >&2; exit 2 ;;
esac

echo "== bayesnu vs flarestack, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "   outputs: $OUT"

# ---------------------------------------------------------------- flarestack venv
if [ ! -x "$FS_VENV/bin/python" ] || ! "$FS_VENV/bin/python" -c "import flarestack" 2>/dev/null; then
  if ! command -v "$FS_PYTHON" >/dev/null 2>&1; then
    echo "   $FS_PYTHON not found; falling back to python3" >&2
    FS_PYTHON=python3
  fi
  echo "== creating flarestack venv at $FS_VENV ($("$FS_PYTHON" --version 2>&1))"
  "$FS_PYTHON" -m venv "$FS_VENV"
  "$FS_VENV/bin/python" -m pip install -q --upgrade pip
  "$FS_VENV/bin/python" -m pip install -q "flarestack==$FS_VERSION" "scipy==1.13.*" "matplotlib<3.9"
fi
echo "   flarestack venv: $FS_VENV ($("$FS_VENV/bin/python" --version 2>&1))"

# ---------------------------------------------------------------- flarestack run
echo "== flarestack baseline: $N_PS PS trials, $N_FLARE box-flare trials (+1 warm-up each)"
"$FS_VENV/bin/python" "$HERE/flarestack_baseline.py" \
  --n-ps "$N_PS" --n-flare "$N_FLARE" --scratch "$FLARESTACK_SCRATCH_DIR" \
  --json "$OUT/flarestack.json" > "$OUT/flarestack.stdout" 2> "$OUT/flarestack.stderr" \
  || { echo "flarestack baseline FAILED; see $OUT/flarestack.stderr" >&2; tail -20 "$OUT/flarestack.stderr" >&2; exit 1; }
grep '^\[flarestack' "$OUT/flarestack.stderr" || true

# ---------------------------------------------------------------- bayesnu runs
run_bayesnu() {  # $1 = tag (ps|flare), $2 = script, $3 = extra args
  local tag="$1" script="$REPO/benchmarks/$2" extra="$3"
  if [ ! -f "$script" ]; then
    echo "== bayesnu $tag: benchmarks/$2 does not exist yet -> comparison ($tag) SKIPPED"
    return 0
  fi
  if ! "$BAYESNU_PYTHON" -c "import bayesnu" 2>/dev/null; then
    echo "== bayesnu $tag: '$BAYESNU_PYTHON' cannot import bayesnu (activate its venv or set BAYESNU_PYTHON) -> SKIPPED"
    return 0
  fi
  echo "== bayesnu $tag: $BAYESNU_PYTHON benchmarks/$2 $extra"
  # shellcheck disable=SC2086
  if ! (cd "$REPO" && "$BAYESNU_PYTHON" "$script" $extra) > "$OUT/bayesnu_$tag.stdout" 2> "$OUT/bayesnu_$tag.stderr"; then
    echo "   bayesnu $tag FAILED (exit code non-zero); see $OUT/bayesnu_$tag.stderr" >&2
    tail -5 "$OUT/bayesnu_$tag.stderr" >&2
    rm -f "$OUT/bayesnu_$tag.stdout"
  fi
}
run_bayesnu ps bench_ps_trial.py "${BAYESNU_PS_ARGS:-}"
run_bayesnu flare bench_flare_trial.py "${BAYESNU_FLARE_ARGS:-}"

# ---------------------------------------------------------------- ratios
"$FS_VENV/bin/python" - "$OUT" <<'PY'
import json, os, sys

out = sys.argv[1]
fs = json.load(open(os.path.join(out, "flarestack.json")))
KEYS = ["seconds_per_trial", "seconds_per_trial_mean", "per_trial_s_mean", "s_per_trial",
        "sec_per_trial", "per_trial_s", "mean_s_per_trial"]
EVENT_KEYS = ["n_events", "events"]


def key_values(text):
    """'key: value' lines and 'key=value' tokens -> dict of floats (others kept as str)."""
    doc = {}
    for line in text.splitlines():
        line = line.strip()
        if ": " in line and "=" not in line:
            k, _, v = line.partition(": ")
            pairs = [(k, v)]
        else:
            pairs = [tok.partition("=")[::2] for tok in line.split() if "=" in tok]
        for k, v in pairs:
            try:
                doc[k.strip()] = float(v)
            except ValueError:
                doc[k.strip()] = v.strip()
    return doc


def last_json(text):
    text = text.strip()
    try:
        return json.loads(text)
    except ValueError:
        pass
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                continue
    i = text.rfind("\n{")
    while i >= 0:
        try:
            return json.loads(text[i + 1:])
        except ValueError:
            i = text.rfind("\n{", 0, i)
    return None


def find_key(doc, keys):
    if isinstance(doc, dict):
        for k in keys:
            if k in doc and isinstance(doc[k], (int, float)):
                return float(doc[k]), k
        for v in doc.values():
            r = find_key(v, keys)
            if r:
                return r
    return None


def dotted(doc, path):
    for part in path.split("."):
        doc = doc[part]
    return float(doc), path


print("== summary (seconds per background trial, warm-up excluded)")
print(f"   flarestack {fs['versions']['flarestack']} on {fs['data']['n_events']} "
      f"IC86-2011 events, source {fs['source']['name']} "
      f"(RA {fs['source']['ra_deg']}, dec {fs['source']['dec_deg']})")
for tag, target, what in [("ps", 20.0, "(a) time-integrated PS trial"),
                          ("flare", 50.0, "(b) box-flare trial")]:
    r = fs["results"].get(tag)
    if r is None:
        continue
    f_s = r["seconds_per_trial_mean"]
    line = (f"   {what}: flarestack {f_s:.4g} s (mean of {r['n_trials']}, "
            f"median {r['seconds_per_trial_median']:.4g})")
    path = os.path.join(out, f"bayesnu_{tag}.stdout")
    if not os.path.exists(path):
        print(line + "; bayesnu: not run -> no ratio")
        continue
    text = open(path).read()
    doc = last_json(text)
    if not isinstance(doc, dict):
        doc = key_values(text)
    override = os.environ.get(f"BAYESNU_{tag.upper()}_KEY")
    found = None
    if doc is not None:
        try:
            found = dotted(doc, override) if override else find_key(doc, KEYS)
        except (KeyError, TypeError, ValueError):
            found = None
    if not found:
        print(line + f"; bayesnu: no seconds-per-trial figure found in {path} -> no ratio")
        continue
    b_s, key = found
    nb = find_key(doc, EVENT_KEYS)
    nb_txt = f", {int(nb[0])} events" if nb else ""
    ratio = f_s / b_s if b_s > 0 else float("inf")
    verdict = "MEETS" if ratio >= target else "MISSES"
    print(line + f"; bayesnu {b_s:.4g} s ({key}{nb_txt}) -> ratio {ratio:.1f}x "
          f"({verdict} the >= {target:.0f}x target)")
PY
echo "   load at end: $(cut -d' ' -f1-3 /proc/loadavg) (wall-clock ratios are only as fair as the load was even;"
echo "   flarestack's CPU seconds per trial are in the JSON); full JSON: $OUT/flarestack.json"
