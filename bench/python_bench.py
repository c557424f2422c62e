#!/usr/bin/env python3
"""Workload 5: the Python event loops. Our rel (python/rel on librel, via
ctypes) against PyPI rel 0.4.9.27 (pure Python), asyncio (add_reader /
call_later) and uvloop, each test in its own subprocess:

  pingpong    1-byte messages bouncing over a socketpair: round trips/s
  throughput  256 MiB through a socketpair: MiB/s
  timers      1000 chained 1 ms timers (each schedules the next): ms per timer
  idle        loop idle with one pending 10 s timer: wake-ups/s (besides the
              one that ends the test) and CPU %

PyPI rel and uvloop go into a venv under build/bench, made when missing.
Prints a table and adds a "python" section to bench/results/latest.json.

  bench/python_bench.py [--quick] [--library PATH/librel.so]
"""

import argparse
import json
import mmap
import os
import resource
import socket
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # keep bench/ free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import BUILD, ROOT, ensure_venv, log, save_results, spread, stats, table

PYPI_REL = "0.4.9.27"
CONTENDERS = {  # name: (API family, how the child gets it)
    "rel (librel)": "rel",
    f"rel {PYPI_REL} (PyPI)": "rel",
    "asyncio": "asyncio",
    "uvloop": "asyncio",
}
TESTS = ["pingpong", "throughput", "timers", "idle"]
# Long enough (about 0.1 s) that one transfer is not at the mercy of the
# machine's hiccups: 64 MiB took about 20 ms, and single rounds strayed
# by up to 25% from their median.
TOTAL_BYTES = 256 << 20
CHUNK = 64 << 10
N_TIMERS = 1000


# ---- children: one test on one loop, result as JSON on stdout -------------

def send_buffer():
    """What the bulk test sends, page-aligned for every contender. A bytes
    object's data lands wherever the process's earlier allocations left
    room (it moved with the length of the environment), and the kernel's
    copy from a badly placed one took 3.6 times its share of a good run:
    one library file gave 0.5 x uvloop loaded from one directory and
    1.0 x from another."""
    return memoryview(mmap.mmap(-1, CHUNK))


def pair():
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    return a, b


def rel_test(rel, test, secs):
    """The tests on rel's pyevent-style API (ours and PyPI's alike)."""
    r = {"n": 0}
    t0 = time.monotonic()
    if test == "pingpong":
        a, b = pair()

        def on_a():
            a.recv(1)
            r["n"] += 1
            if r["n"] % 64 == 0 and time.monotonic() - t0 > secs:
                rel.abort()
            else:
                a.send(b"x")
            return True

        def on_b():
            b.send(b.recv(1))
            return True

        rel.read(a, on_a)
        rel.read(b, on_b)
        a.send(b"x")
    elif test == "throughput":
        a, b = pair()
        buf = send_buffer()
        sent = {"n": 0}

        def on_writable():
            try:
                while sent["n"] < TOTAL_BYTES:
                    sent["n"] += a.send(buf[:min(CHUNK, TOTAL_BYTES - sent["n"])])
            except BlockingIOError:
                return True
            return False

        def on_readable():
            try:
                while True:
                    r["n"] += len(b.recv(1 << 18))
            except BlockingIOError:
                pass
            if r["n"] >= TOTAL_BYTES:
                rel.abort()
            return True

        rel.write(a, on_writable)
        rel.read(b, on_readable)
    elif test == "timers":
        def tick():
            r["n"] += 1
            if r["n"] >= N_TIMERS or time.monotonic() - t0 > secs:
                rel.abort()
            else:
                rel.timeout(0.001, tick)

        rel.timeout(0.001, tick)
    else:  # idle
        rel.timeout(10, lambda: None)
        rel.timeout(secs, rel.abort)
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.monotonic()
    rel.dispatch()
    return finish(test, r["n"], time.monotonic() - t0, ru0)


def asyncio_test(loop, test, secs):
    """The same tests on asyncio's loop API (asyncio itself and uvloop)."""
    r = {"n": 0}
    t0 = time.monotonic()
    if test == "pingpong":
        a, b = pair()

        def on_a():
            a.recv(1)
            r["n"] += 1
            if r["n"] % 64 == 0 and time.monotonic() - t0 > secs:
                loop.stop()
            else:
                a.send(b"x")

        loop.add_reader(a, on_a)
        loop.add_reader(b, lambda: b.send(b.recv(1)))
        a.send(b"x")
    elif test == "throughput":
        a, b = pair()
        buf = send_buffer()
        sent = {"n": 0}

        def on_writable():
            try:
                while sent["n"] < TOTAL_BYTES:
                    sent["n"] += a.send(buf[:min(CHUNK, TOTAL_BYTES - sent["n"])])
                loop.remove_writer(a)
            except BlockingIOError:
                pass

        def on_readable():
            try:
                while True:
                    r["n"] += len(b.recv(1 << 18))
            except BlockingIOError:
                pass
            if r["n"] >= TOTAL_BYTES:
                loop.stop()

        loop.add_writer(a, on_writable)
        loop.add_reader(b, on_readable)
    elif test == "timers":
        def tick():
            r["n"] += 1
            if r["n"] >= N_TIMERS or time.monotonic() - t0 > secs:
                loop.stop()
            else:
                loop.call_later(0.001, tick)

        loop.call_later(0.001, tick)
    else:
        loop.call_later(10, lambda: None)
        loop.call_later(secs, loop.stop)
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.monotonic()
    loop.run_forever()
    return finish(test, r["n"], time.monotonic() - t0, ru0)


def finish(test, n, dt, ru0):
    ru = resource.getrusage(resource.RUSAGE_SELF)
    if test == "pingpong":
        return {"value": n / dt}
    if test == "throughput":
        return {"value": n / dt / (1 << 20)}
    if test == "timers":
        return {"value": dt * 1e3 / max(n, 1), "fired": n}
    # Not counting the one wake-up of the timer that ends the test.
    wakeups = max(0, (ru.ru_nvcsw - ru0.ru_nvcsw) + (ru.ru_nivcsw - ru0.ru_nivcsw) - 1)
    cpu = (ru.ru_utime - ru0.ru_utime) + (ru.ru_stime - ru0.ru_stime)
    return {"value": wakeups / dt, "cpu_pct": 100 * cpu / dt}


def child(name, test, secs, pydir):
    if name == "rel (librel)":
        sys.path.insert(0, pydir)
        try:
            import rel
        except Exception as e:  # not importable yet, or librel not loadable
            print(json.dumps({"skipped": f"our rel is not importable: {e!r}"}))
            return
        if not os.path.abspath(rel.__file__).startswith(os.path.abspath(pydir)):
            print(json.dumps({"skipped": f"imported {rel.__file__}, not {pydir}"}))
            return
        out = rel_test(rel, test, secs)
    elif name.startswith("rel "):
        import rel
        from rel.version import __version__
        if __version__ != PYPI_REL:
            print(json.dumps({"skipped": f"PyPI rel is {__version__}, not {PYPI_REL}"}))
            return
        out = rel_test(rel, test, secs)
    else:
        import asyncio
        if name == "uvloop":
            import uvloop
            loop = uvloop.new_event_loop()
        else:
            loop = asyncio.new_event_loop()
        out = asyncio_test(loop, test, secs)
    print(json.dumps(out))


# ---- parent ----------------------------------------------------------------

def default_library():
    for p in (os.path.join(BUILD, "prefix", "lib", "librel.so.1"),
              os.path.join(ROOT, "target", "release", "librel.so")):
        if os.path.exists(p):
            return p
    return None


def run_child(py, name, test, secs, library):
    env = dict(os.environ)
    if library:
        env["REL_LIBRARY"] = library
    cmd = [py, os.path.abspath(__file__), "--child", name, "--test", test,
           "--secs", str(secs), "--pydir", os.path.join(ROOT, "python")]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    except subprocess.TimeoutExpired:
        return {"error": "timed out"}
    lines = r.stdout.strip().splitlines()
    if r.returncode or not lines:
        return {"error": (r.stderr.strip().splitlines() or [f"exit {r.returncode}"])[-1]}
    return json.loads(lines[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--library", default=default_library(), help="librel.so for our rel")
    ap.add_argument("--child")
    ap.add_argument("--test")
    ap.add_argument("--secs", type=float, default=1.0)
    ap.add_argument("--pydir")
    a = ap.parse_args()
    if a.child:
        return child(a.child, a.test, a.secs, a.pydir)

    sys.stdout.reconfigure(line_buffering=True)
    venv_py = ensure_venv(["uvloop", f"rel=={PYPI_REL}"])
    py = venv_py or sys.executable
    rounds = 1 if a.quick else 3
    # Ping-pong and bulk rounds are short and their targets are close races:
    # more of them.
    test_rounds = {t: rounds * (3 if t in ("pingpong", "throughput") and not a.quick else 1) for t in TESTS}
    secs = {"pingpong": 0.5, "throughput": 0, "timers": 3.0, "idle": 2.0}
    if a.quick:
        secs.update(timers=2.0, idle=0.5)
    names = list(CONTENDERS)
    results = {n: {} for n in names}
    log(f"workload 5: Python loops ({test_rounds} rounds; our rel on {a.library})")
    for test in TESTS:
        samples = {n: [] for n in names}
        extra = {n: {} for n in names}
        for i in range(test_rounds[test]):
            for name in names[i % len(names):] + names[:i % len(names)]:
                if "skipped" in results[name] or "error" in results[name].get(test, {}):
                    continue
                if venv_py is None and name.startswith(("uvloop", "rel 0")):
                    results[name]["skipped"] = "no venv (pip failed)"
                    continue
                out = run_child(py, name, test, secs[test], a.library)
                if "skipped" in out:
                    results[name]["skipped"] = out["skipped"]
                elif "error" in out:
                    results[name][test] = {"error": out["error"]}
                else:
                    samples[name].append(out.pop("value"))
                    for k, v in out.items():
                        extra[name].setdefault(k, []).append(v)
        for name in names:
            if samples[name]:
                med = {k: stats(v)["median"] for k, v in extra[name].items()}
                results[name][test] = {**stats(samples[name]), **med}

    def cell(name, test, key="median", fmt="{:,.0f}"):
        r = results[name]
        if "skipped" in r:
            return "skipped"
        t = r.get(test, {})
        return fmt.format(t[key]) if key in t else t.get("error", "-")[:24]

    print(f"\n== 5. Python event loops (medians; rounds: {test_rounds})")
    headers = ["", "ping-pong round trips/s", f"{TOTAL_BYTES >> 20} MiB MiB/s", "1 ms timer: ms each",
               "idle wake-ups/s", "idle CPU %"]
    body = [[name, cell(name, "pingpong"), cell(name, "throughput"),
             cell(name, "timers", fmt="{:.2f}"), cell(name, "idle", fmt="{:.1f}"),
             cell(name, "idle", "cpu_pct", "{:.1f}")] for name in names]
    print(table(headers, body))
    for name in names:
        if "skipped" in results[name]:
            print(f"  {name}: skipped: {results[name]['skipped']}")
        t = results[name].get("timers", {})
        if t.get("fired", N_TIMERS) < N_TIMERS:
            print(f"  {name}: only {t['fired']:.0f} of {N_TIMERS} timers fired in "
                  f"{secs['timers']:.0f} s (the test stops there)")
    ratios, targets = verdicts(results, names)
    save_results("python", {"rounds": test_rounds, "library": a.library, "order": names,
                            "results": results, "ratios": ratios, "targets": targets})


def verdicts(results, names):
    """Prints our rel's ratios to each peer and its targets; returns both."""
    ours = results[names[0]]
    ratios = {}
    for test, better in (("pingpong", "higher"), ("throughput", "higher"), ("timers", "lower")):
        mine = ours.get(test, {}).get("median")
        for peer in names[1:]:
            theirs = results[peer].get(test, {}).get("median")
            if mine and theirs:
                ratios.setdefault(test, {})[peer] = mine / theirs
    print(f"\n{names[0]} / peer (ping-pong and MiB/s: higher is better; timers: lower is better)")
    print(table(["", *names[1:]], [[t, *(f"{r[p]:.2f}" if p in r else "-" for p in names[1:])]
                                   for t, r in ratios.items()]))
    pp = ratios.get("pingpong", {}).get("uvloop")
    bulk = ratios.get("throughput", {}).get("uvloop")
    timer_ms = ours.get("timers", {}).get("median")
    idle = ours.get("idle", {}).get("median")

    def spreads(test):  # each side's half-IQR, % of its median
        sides = [(n, results[n].get(test, {})) for n in (names[0], "uvloop")]
        return ", ".join(f"{n} ±{spread(st):.0f}%" for n, st in sides if "median" in st)

    checks = [
        ("#14: Python rel ping-pong round trips/s vs uvloop's", pp, pp is not None and pp >= 1.2,
         "ratio {:.2f} (target >= 1.2) [" + spreads("pingpong") + "]"),
        (f"#14: Python rel bulk ({TOTAL_BYTES >> 20} MiB) MiB/s vs uvloop's", bulk,
         bulk is not None and bulk >= 1.0,
         "ratio {:.2f} (target >= 1.0) [" + spreads("throughput") + "]"),
        (f"Python rel: {N_TIMERS} chained 1 ms timers < 1.1 s",
         timer_ms and timer_ms * N_TIMERS / 1e3,
         timer_ms is not None and timer_ms * N_TIMERS < 1100, "{:.3f} s"),
        ("Python rel: idle: 0 wake-ups/s", idle, idle == 0, "{:.2f}/s"),
    ]
    targets = []
    for what, value, ok, fmt in checks:
        verdict = "n/a" if value is None else "PASS" if ok else "MISS"
        shown = "not measured" if value is None else fmt.format(value)
        targets.append({"target": f"{what}: {shown}", "verdict": verdict})
        print(f"  {verdict:4}  {what}: {shown}")
    return ratios, targets


if __name__ == "__main__":
    main()
