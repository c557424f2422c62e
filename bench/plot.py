"""Draws bench/results/*.png from bench/results/latest.json (run by bench/run
inside the venv that has matplotlib). Each figure is skipped when its data
is missing."""

import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

sys.dont_write_bytecode = True  # keep bench/ free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import RESULTS, load_results, ratio  # noqa: E402

LIBS = ["librel", "libevent", "libev", "raw"]
COLORS = {"librel": "#d9541e", "libevent": "#3a75b0", "libev": "#55a868", "raw": "#888888"}


def size_label(r):
    return f"{r['n']}/{r['a']}/{r['w']}"


def bars(ax, groups, series, values, errs=None, ylabel=""):
    """Grouped bars: values[s][g] (None: no bar); errs: (low, high) deltas."""
    width = 0.8 / max(len(series), 1)
    for i, s in enumerate(series):
        xs = [g + (i - (len(series) - 1) / 2) * width for g in range(len(groups))]
        v = [x if x is not None else 0 for x in values[s]]
        kw = {}
        if errs:
            kw["yerr"] = [[e[0] for e in errs[s]], [e[1] for e in errs[s]]]
            kw["capsize"] = 2
        ax.bar(xs, v, width, label=s, color=COLORS.get(s.split()[0]), **kw)
    ax.set_xticks(range(len(groups)), groups, fontsize=8)
    ax.set_ylabel(ylabel)
    ax.grid(axis="y", alpha=0.3)


def chain_figure(res):
    """µs per callback on epoll, both chained workloads."""
    wls = [(k, t) for k, t in (("chain", "1. chained I/O"),
                               ("chain_timeouts", "2. chained I/O + timeouts")) if res.get(k)]
    if not wls:
        return
    fig, axes = plt.subplots(1, len(wls), figsize=(6 * len(wls), 4), squeeze=False)
    for ax, (key, title) in zip(axes[0], wls):
        rows = [r for r in res[key] if r["backend"] == "epoll" and "skipped" not in r]
        libs = [l for l in LIBS if any("median" in r["results"].get(l, {}) for r in rows)]
        vals, errs = {}, {}
        for l in libs:
            vals[l], errs[l] = [], []
            for r in rows:
                x = r["results"].get(l, {})
                per = 1e3 * (r["a"] + r["w"])  # ns -> µs per callback
                if "median" in x:
                    vals[l].append(x["median"] / per)
                    errs[l].append(((x["median"] - x["q1"]) / per, (x["q3"] - x["median"]) / per))
                else:
                    vals[l].append(None)
                    errs[l].append((0, 0))
        bars(ax, [size_label(r) for r in rows], libs, vals, errs, "µs per callback (median, IQR)")
        ax.set_title(f"{title}, epoll")
        ax.set_xlabel("N / A / W")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(RESULTS, "chain.png"), dpi=110)


def ratio_figure(res):
    """librel ÷ libevent per size and backend, with the targets."""
    wls = [k for k in ("chain", "chain_timeouts") if res.get(k)]
    if not wls:
        return
    fig, axes = plt.subplots(1, len(wls), figsize=(6 * len(wls), 3.6), squeeze=False)
    for ax, key in zip(axes[0], wls):
        rows = [r for r in res[key] if r["backend"] == "epoll"]
        sizes = [size_label(r) for r in rows]
        vals = {}
        for backend in ("epoll", "poll", "select"):
            v = []
            for size in sizes:
                r = next((r for r in res[key] if size_label(r) == size
                          and r["backend"] == backend), None)
                rel = r and r["results"].get("librel", {})
                le = r and r["results"].get("libevent", {})
                v.append(ratio(rel, le) if rel and le else None)
            vals[backend] = v
        bars(ax, sizes, list(vals), vals, ylabel="librel ÷ libevent (lower is better)")
        ax.axhline(1.0, color="black", lw=0.8)
        ax.axhline(0.85, color="red", lw=0.8, ls="--", label="epoll target 0.85")
        ax.set_title("chained I/O" + (" + timeouts" if key == "chain_timeouts" else ""))
        ax.set_xlabel("N / A / W")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(RESULTS, "ratios.png"), dpi=110)


def other_figure(res):
    """Timer churn, cross-thread wake-up and memory per event."""
    panels = [p for p in ("timers", "wakeup", "memory") if res.get(p)]
    if not panels:
        return
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 3.8), squeeze=False)
    for ax, p in zip(axes[0], panels):
        if p == "timers":
            libs = [l for l in LIBS if "total" in res["timers"].get(l, {})]
            churn = [res["timers"][l]["churn"]["median"] / 1e6 for l in libs]
            fire = [res["timers"][l]["fire"]["median"] / 1e6 for l in libs]
            ax.bar(libs, churn, color=[COLORS[l] for l in libs], label="1M add/del/re-add")
            ax.bar(libs, fire, bottom=churn, color=[COLORS[l] for l in libs], alpha=0.5,
                   hatch="//", label="100k fire")
            ax.set_ylabel("ms (median)")
            ax.set_title("3. timer churn")
            ax.legend(fontsize=8)
        elif p == "wakeup":
            modes = [m for m in ("active", "break") if m in res["wakeup"]]
            libs = [l for l in LIBS if any("median" in res["wakeup"][m].get(l, {})
                                           for m in modes)]
            vals = {l: [res["wakeup"][m].get(l, {}).get("median", 0) / 1e3 for m in modes]
                    for l in libs}
            p99 = {l: [(0, max(0, (res["wakeup"][m].get(l, {}).get("p99", 0)
                                   - res["wakeup"][m].get(l, {}).get("median", 0)) / 1e3))
                       for m in modes] for l in libs}
            bars(ax, ["event_active", "loopbreak"], libs, vals, p99, "µs (median, whisker: p99)")
            ax.set_yscale("log")
            ax.set_ylim(bottom=1)
            ax.set_title("4. cross-thread wake-up")
            ax.legend(fontsize=8)
        else:
            mem = res["memory"]
            names = [f"{l}/epoll" for l in LIBS if "io_heap_b" in mem.get(f"{l}/epoll", {})]
            libs = [n.split("/")[0] for n in names]
            vals = {l: [mem[n]["io_heap_b"], mem[n]["timer_heap_b"]] for l, n in zip(libs, names)}
            bars(ax, ["I/O event", "timer"], libs, vals, ylabel="heap bytes per event (epoll)")
            ax.set_title("memory beyond struct event")
            ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(RESULTS, "other.png"), dpi=110)


def rel_to_libevent(results, libs):
    """{lib: median ÷ libevent's median or None} for one cell."""
    base = results.get("libevent", {}).get("median")
    return {l: (results[l]["median"] / base if base and "median" in results.get(l, {})
                else None) for l in libs}


def ratio_panel(ax, groups, cells, libs, targets=None):
    """Bars of each contender's time ÷ libevent's per group; targets: one
    per group (None: none), drawn as red dashes over their group."""
    vals = {l: [] for l in libs}
    for results in cells:
        r = rel_to_libevent(results, libs)
        for l in libs:
            vals[l].append(r[l])
    shown = [l for l in libs if any(v is not None for v in vals[l])]
    bars(ax, groups, shown, {l: vals[l] for l in shown},
         ylabel="time ÷ libevent's (lower is better)")
    ax.axhline(1.0, color=COLORS["libevent"], lw=1, label="libevent")
    for g, t in enumerate(targets or []):
        if t is not None:
            ax.hlines(t, g - 0.4, g + 0.4, color="red", lw=1.2, ls="--",
                      label="target" if g == 0 else None)
    ax.legend(fontsize=8)


def buffers_figure(res):
    """Echo server, bulk transfer, evbuffer operations, bufferevent memory
    and issue #14's loop shapes."""
    panels = [p for p in ("echo", "evbuf", "bevmem", "shapes") if res.get(p)]
    if not panels:
        return
    fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4.2), squeeze=False)
    for ax, p in zip(axes[0], panels):
        if p == "echo":
            short = {"pingpong": "ping-pong\n1 × 64 B", "pipelined": "pipelined\n100 × 1 KiB",
                     "large": "10 × 64 KiB"}
            groups = [short.get(r["shape"], r["shape"]) for r in res["echo"]]
            cells = [r["results"] for r in res["echo"]]
            targets = [1.0 if r["shape"] == "pingpong" else 0.8 for r in res["echo"]]
            if res.get("bulk"):
                groups.append(f"bulk\n{res['bulk']['mib']} MiB")
                cells.append(res["bulk"]["results"])
                targets.append(0.8)
            ratio_panel(ax, groups, cells, ["librel", "raw"], targets)
            ax.set_title("echo server and bulk transfer, epoll")
        elif p == "evbuf":
            order = ["add_drain", "readln", "move", "pullup", "search", "printf"]
            ops = sorted(res["evbuf"], key=lambda o: order.index(o) if o in order else 99)
            libs = [l for l in LIBS if any("median" in res["evbuf"][o].get(l, {}) for o in ops)]
            vals = {l: [res["evbuf"][o].get(l, {}).get("median") for o in ops] for l in libs}
            bars(ax, ops, libs, vals, ylabel="ns per operation (median)")
            ax.set_yscale("log")
            ax.set_title("evbuffer operations")
            ax.legend(fontsize=8)
        elif p == "bevmem":
            mem = res["bevmem"]
            libs = [l for l in LIBS if "bev_heap_b" in mem.get(l, {})]
            vals = {l: [mem[l]["evbuffer_heap_b"], mem[l]["bev_heap_b"]] for l in libs}
            bars(ax, ["empty evbuffer", "idle bufferevent"], libs, vals, ylabel="heap bytes each")
            ax.set_title("memory per buffer object")
            ax.legend(fontsize=8)
        else:
            sh = res["shapes"]
            groups, cells = [], []
            for wl, label in (("pipes", "pipes"), ("rereg", "1.4 re-add"),
                              ("rereg_timeouts", "1.4 re-add\n+ timeout"),
                              ("blocking", "blocking"),
                              ("blocking_timeouts", "blocking\n+ timeout"),
                              ("once", "ONCE"), ("once_timeouts", "ONCE\n+ timeout")):
                for r in sh.get(wl, []):
                    groups.append(f"{label}\n{size_label(r)}")
                    cells.append(r["results"])
            if sh.get("timers"):
                groups.append("evtimer_*\nchurn")
                cells.append({l: v["total"] for l, v in sh["timers"].items() if "total" in v})
            ratio_panel(ax, groups, cells, ["librel", "libev", "raw"])
            ax.set_title("issue #14 loop shapes, epoll")
            ax.tick_params(axis="x", labelsize=7)
    fig.tight_layout()
    fig.savefig(os.path.join(RESULTS, "buffers.png"), dpi=110)


def python_figure(res):
    py = res.get("python", {}).get("results")
    if not py:
        return
    tests = [("pingpong", "ping-pong round trips/s"), ("throughput", "bulk: MiB/s"),
             ("timers", "1 ms timers: ms each"), ("idle", "idle wake-ups/s")]
    order = res["python"].get("order", sorted(py))
    names = [n for n in order if n in py and "skipped" not in py[n]]
    fig, axes = plt.subplots(1, 4, figsize=(16, 3.2))
    palette = {"rel (librel)": "#d9541e", "asyncio": "#3a75b0", "uvloop": "#55a868"}
    for ax, (test, title) in zip(axes, tests):
        v = [py[n].get(test, {}).get("median", 0) for n in names]
        ax.barh(names, v, color=[palette.get(n, "#e8a33d") for n in names])
        for y, x in enumerate(v):
            ax.annotate(f"{x:,.0f}" if x >= 100 else f"{x:.2g}", (x, y), fontsize=8,
                        xytext=(3, 0), textcoords="offset points", va="center")
        ax.set_title(title, fontsize=10)
        ax.invert_yaxis()
        ax.grid(axis="x", alpha=0.3)
        ax.margins(x=0.25)
        if ax is not axes[0]:
            ax.set_yticklabels([])
    fig.suptitle("5. Python event loops")
    fig.tight_layout()
    fig.savefig(os.path.join(RESULTS, "python.png"), dpi=110)


def main():
    res = load_results()
    os.makedirs(RESULTS, exist_ok=True)
    for fig in (chain_figure, ratio_figure, other_figure, buffers_figure, python_figure):
        fig(res)
        plt.close("all")
    print(f"plots: {', '.join(sorted(f for f in os.listdir(RESULTS) if f.endswith('.png')))}")


if __name__ == "__main__":
    main()
