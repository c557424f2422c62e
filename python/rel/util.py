"""Logging switch and a tiny in-process pub/sub, as pure-Python rel has them.

- listen(channel, cb) / emit(channel, ...) / ask(channel, ...): every listener
  of a channel is called by emit(); ask() calls the first and returns its answer.
- when(event, cb, ...) / transpire(event): cb runs once the event has
  transpired (at once if it already has).
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Set, Tuple

listeners: Dict[Any, List[Callable[..., Any]]] = {}
happenings: Dict[Any, List[Tuple[Callable[..., Any], Tuple[Any, ...], Dict[str, Any]]]] = {}  # event -> waiting callbacks
transpired: Set[Any] = set()
verbose = False
LOUD = True


def log(text: Any) -> None:
    if verbose:
        print("rel", text)


def set_verbose(isverb: bool) -> None:
    global verbose
    verbose = bool(isverb)
    log(f"set_verbose {verbose}")


def loudListen(isloud: bool) -> None:
    """Whether emit()/ask() on a channel nobody listens to is logged."""
    global LOUD
    LOUD = bool(isloud)


def _unheard(kind: str, channel: Any) -> None:
    if LOUD:
        log(f"{kind}({channel}): nobody is listening")


class Basic:
    """Mixin giving objects a log() that names them."""

    def log(self, *msg: Any) -> None:
        if verbose:
            name = type(self).__name__
            sub = getattr(self, "subname", None)
            if sub is not None:
                name = f"{name}({sub})"
            log(f"{name} : " + " ".join(str(m) for m in msg))


def listen(channel: Any, cb: Callable[..., Any]) -> None:
    listeners.setdefault(channel, []).append(cb)


def emit(channel: Any, *args: Any, **kwargs: Any) -> None:
    if channel not in listeners:
        return _unheard("emit", channel)
    for cb in list(listeners[channel]):
        cb(*args, **kwargs)


def ask(channel: Any, *args: Any, **kwargs: Any) -> Any:
    if not listeners.get(channel):
        return _unheard("ask", channel)
    return listeners[channel][0](*args, **kwargs)


def when(event: Any, cb: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    if event in transpired:
        cb(*args, **kwargs)
    else:
        happenings.setdefault(event, []).append((cb, args, kwargs))


def transpire(event: Any) -> None:
    if event in transpired:
        return
    transpired.add(event)
    for cb, args, kwargs in happenings.pop(event, []):
        cb(*args, **kwargs)
