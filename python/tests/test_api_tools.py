"""The public surface, rel.util, and the rtimer tool."""

import ast
import importlib
import os
import signal
import subprocess
import sys
import time

import pytest

import rel

TOP_LEVEL = """__version__ override supported_methods initialize set_verbose set_sleep set_turbo
safe_read read write error timeout signal event dispatch pause resume loop report is_running
abort abort_branch thread tick init start stop buffwrite release_buff""".split()


def test_top_level_names_and_constants():
    for name in TOP_LEVEL:
        assert hasattr(rel, name), name
    assert (rel.EV_PERSIST, rel.EV_READ, rel.EV_SIGNAL, rel.EV_TIMEOUT, rel.EV_WRITE) == (16, 2, 8, 1, 4)
    assert isinstance(rel.__version__, str)


@pytest.mark.parametrize("module, names", [
    ("rel.rel", "read write timeout signal event dispatch abort init initialize override loop"),
    ("rel.util", "log set_verbose emit ask listen when transpire loudListen Basic"),
    ("rel.errors", "AbortBranch"),
    ("rel.buff", "buffwrite release_buff BuffWriter"),
    ("rel.tools", "Timer timerCLI"),
    ("rel.listener", "Event SocketIO Signal Timer EV_READ"),
    ("rel.registrar", "Registrar EpollRegistrar PollRegistrar SelectRegistrar KqueueRegistrar set_sleep set_turbo"),
])
def test_submodules(module, names):
    mod = importlib.import_module(module)
    for name in names.split():
        assert hasattr(mod, name), f"{module}.{name}"


def test_listener_does_not_import_registrar():
    # The registrar owns its base and slots; listeners see it only as a listener.Registry.
    with open(rel.listener.__file__) as f:
        tree = ast.parse(f.read())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            imported.update(alias.name for alias in node.names)
    assert not [name for name in imported if "registrar" in name]


def test_from_rel_import_rel():
    from rel import rel as inner

    assert inner.read is rel.read and inner.dispatch is rel.dispatch


def test_py_typed_and_hints():
    pkg = os.path.dirname(rel.__file__)
    assert os.path.exists(os.path.join(pkg, "py.typed"))
    assert rel.timeout.__annotations__["return"] in ("Timer", rel.listener.Timer)


def test_util_channels(capsys):
    from rel import util

    got = []
    util.listen("chan", lambda *a, **k: got.append((a, k)) or "first")
    util.listen("chan", lambda *a, **k: "second")
    util.emit("chan", 1, x=2)
    assert got == [((1,), {"x": 2})]
    assert util.ask("chan") == "first"
    util.set_verbose(True)
    try:
        assert util.ask("nobody") is None
        assert "nobody" in capsys.readouterr().out
        util.loudListen(False)
        util.emit("nobody")
        assert "nobody" not in capsys.readouterr().out
    finally:
        util.loudListen(True)
        util.set_verbose(False)
    capsys.readouterr()
    util.log("quiet")
    assert capsys.readouterr().out == ""


def test_util_when_transpire():
    from rel import util

    got = []
    util.when("ready", got.append, 1)
    assert got == []
    util.transpire("ready")
    util.transpire("ready")  # only once
    assert got == [1]
    util.when("ready", got.append, 2)  # already happened: runs now
    assert got == [1, 2]


def test_basic_log(capsys):
    from rel import util

    class Thing(util.Basic):
        subname = "x"

    util.set_verbose(True)
    try:
        Thing().log("hello", 1)
    finally:
        util.set_verbose(False)
    assert "Thing(x) : hello 1" in capsys.readouterr().out


def rtimer(*args, **kw):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    return subprocess.Popen([sys.executable, "-m", "rel.tools", *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def test_rtimer_counts_down():
    start = time.monotonic()
    proc = rtimer("2", "-i", "1", "-p", "")
    out, err = proc.communicate(timeout=30)
    elapsed = time.monotonic() - start
    assert proc.returncode == 0, err
    assert "counting down 2 seconds" in out
    assert "0:01 elapsed, 1/2" in out and "0:02 elapsed, 2/2 (100.0%)" in out
    assert "time's up!" in out and "goodbye" in out
    assert 1.9 < elapsed < 10


def test_rtimer_flags_and_silent_default():
    out, err = rtimer("-s", "1", "-p", "").communicate(timeout=30)
    assert "0:01 elapsed" in out  # a flag makes the increment default to 1
    out, err = rtimer("1", "-p", "").communicate(timeout=30)
    assert "elapsed" not in out and "time's up!" in out


def test_rtimer_ctrl_c_stops_it():
    proc = rtimer("0", "5", "-p", "")
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "timer stopped at" in out and "goodbye" in out


def test_rtimer_usage_errors():
    proc = rtimer("0")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 2 and "usage" in out
    proc = rtimer("x")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 2 and "invalid int value" in err
