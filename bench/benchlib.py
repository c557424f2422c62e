"""Helpers shared by bench/run and bench/python_bench.py: paths, the venv,
statistics, tables and the results file. Standard library only."""

import json
import math
import os
import platform
import subprocess
import sys
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
BUILD = os.path.join(ROOT, "build", "bench")
RESULTS = os.path.join(BENCH, "results")
LATEST = os.path.join(RESULTS, "latest.json")
VENV = os.path.join(BUILD, "venv")
VENV_PY = os.path.join(VENV, "bin", "python")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def ensure_venv(packages):
    """A venv under build/bench with `packages` (pip specs) installed;
    returns its python, or None (with a message) when that fails."""
    try:
        if not os.path.exists(VENV_PY):
            log(f"creating {VENV}")
            subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
        missing = []
        for spec in packages:
            name, _, version = spec.partition("==")
            probe = (f"import importlib.metadata as m, sys; "
                     f"v = m.version({name!r}); sys.exit({version!r} not in ('', v))")
            if subprocess.run([VENV_PY, "-c", probe], capture_output=True).returncode:
                missing.append(spec)
        if missing:
            log(f"pip install {' '.join(missing)} (into {VENV})")
            subprocess.run([VENV_PY, "-m", "pip", "install", "-q", *missing], check=True)
        return VENV_PY
    except (subprocess.CalledProcessError, OSError) as e:
        log(f"venv setup failed ({e}); continuing without {', '.join(packages)}")
        return None


def stats(samples):
    """median, quartiles, min/max of a list of numbers."""
    s = sorted(samples)
    n = len(s)

    def q(p):  # linear interpolation between closest ranks
        x = p * (n - 1)
        i = int(x)
        return s[i] + (s[min(i + 1, n - 1)] - s[i]) * (x - i)

    return {"n": n, "median": q(0.5), "q1": q(0.25), "q3": q(0.75),
            "p99": q(0.99), "min": s[0], "max": s[-1]}


def ratio(rel, other):
    """librel's figure over another contender's: the median of the ratios
    of the two within each round, when both ran every round. A round runs
    the contenders back to back, so a machine whose speed drifts (other
    tenants of its host) slows both sides of a round's ratio alike; the
    ratio of the two overall medians mixes rounds run under different
    conditions. Otherwise (no rounds recorded), the ratio of the medians."""
    a, b = paired(rel, other)
    if a:
        return stats([x / y for x, y in zip(a, b)])["median"]
    if "median" in rel and "median" in other and other["median"]:
        return rel["median"] / other["median"]
    return None


def paired(rel, other):
    """The per-round medians of two contenders that ran the same rounds."""
    a, b = rel.get("rounds"), other.get("rounds")
    if a and b and len(a) == len(b) and all(b):
        return a, b
    return None, None


def median_interval(xs):
    """A 95% interval for the median behind `xs` that assumes nothing of
    their distribution: the order statistics j + 1 and n - j, with j the
    largest count that a binomial(n, 1/2) draw stays at or below with
    probability at most 2.5% (for 25 rounds: the 8th and 18th values, 95.7%
    coverage). None for fewer than 6 values, where no such j exists."""
    n, j, below = len(xs), -1, 0.0
    for i in range(n):
        below += math.comb(n, i) / 2**n
        if below > 0.025:
            break
        j = i
    if j < 0:
        return None
    s = sorted(xs)
    return s[j], s[n - 1 - j]


def spread(st):
    """Half the interquartile range as a percentage of the median."""
    return 50.0 * (st["q3"] - st["q1"]) / st["median"] if st["median"] else 0.0


def table(headers, rows):
    """Plain text table, columns left-aligned on their widest cell."""
    rows = [[str(c) for c in r] for r in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in rows)) if rows else len(str(h))
              for i, h in enumerate(headers)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()
    out = [line([str(h) for h in headers]), line(["-" * w for w in widths])]
    out += [line(r) for r in rows]
    return "\n".join(out)


def machine():
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "")
    except OSError:
        pass
    return {"date": time.strftime("%Y-%m-%d %H:%M:%S %z"), "host": platform.node(),
            "kernel": platform.release(), "cpu": cpu, "cores": os.cpu_count(),
            "loadavg_at_start": os.getloadavg()[0]}


def load_results():
    try:
        with open(LATEST) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def save_results(section, data):
    """Replaces one top-level section of latest.json, keeping the others."""
    res = load_results()
    res[section] = data
    write_results(res)


def write_results(res):
    os.makedirs(RESULTS, exist_ok=True)
    tmp = LATEST + ".tmp"
    with open(tmp, "w") as f:
        json.dump(res, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(tmp, LATEST)
