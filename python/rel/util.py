"""Logging switch and a tiny in-process pub/sub, as pure-Python rel has them.

- listen(channel, cb) / emit(channel, ...) / ask(channel, ...): every listener
  of a channel is called by emit(); ask() calls the first and returns its answer.
- when(event, cb, ...) / transpire(event): cb runs once the event has
  transpired (at once if it already has).
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Tuple, Union

listeners: Dict[Any, List[Callable[..., Any]]] = {}
# event -> callbacks waiting for it, or TRANSPIRED once it has happened
happenings: Dict[Any, Union[str, List[Tuple[Callable[..., Any], tuple, dict]]]] = {}
TRANSPIRED = "transpired"
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
    waiting = happenings.setdefault(event, [])
    if waiting == TRANSPIRED:
        cb(*args, **kwargs)
    else:
        waiting.append((cb, args, kwargs))  # type: ignore[union-attr]


def transpire(event: Any) -> None:
    waiting = happenings.get(event, [])
    if waiting == TRANSPIRED:
        return
    happenings[event] = TRANSPIRED
    for cb, args, kwargs in waiting:  # type: ignore[misc]
        cb(*args, **kwargs)
