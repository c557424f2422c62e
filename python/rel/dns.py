"""pyevent's asynchronous DNS calls on the library's evdns, on rel's event base.

``dns_init()`` makes the resolver (an evdns_base on rel's current base, not
libevent's hidden global one). Like pyevent it reads /etc/resolv.conf; given
``nameservers`` (``["127.0.0.1:5353", ...]``) it asks only those instead,
which pyevent could not. ``dns_resolve_*(..., callback, *args)`` then call
``callback(result, type, ttl, addrs, *args)`` from the loop: for DNS_IPv4_A
``addrs`` is a list of dotted quads, for DNS_IPv6_AAAA a list of 16-byte
packed addresses, for DNS_PTR the name when there is one answer; otherwise
(and on any error) None. An exception from a callback is printed and the
loop goes on, as in pyevent.

``dns_resolve_reverse_ipv6`` asks the ip6.arpa name of its 16-byte address;
pyevent passed that address to the IPv4 call by mistake.
A request in flight keeps dispatch() running; rel.init() and
``dns_shutdown()`` drop the requests (with ``fail_requests`` true, the loop
then calls their callbacks with DNS_ERR_SHUTDOWN).
"""

from __future__ import annotations

import ctypes
import socket
import traceback
from typing import Any, Callable, Dict, Iterable, Optional

from .attached import Attached, Waiter, current_base, function, require, run_callback

__all__ = [
    "dns_init", "dns_add_nameserver", "dns_resolve_ipv4", "dns_resolve_ipv6", "dns_resolve_reverse",
    "dns_resolve_reverse_ipv6", "dns_shutdown", "dns_err_to_string",
    "DNS_ERR_NONE", "DNS_ERR_FORMAT", "DNS_ERR_SERVERFAILED", "DNS_ERR_NOTEXIST", "DNS_ERR_NOTIMPL",
    "DNS_ERR_REFUSED", "DNS_ERR_TRUNCATED", "DNS_ERR_UNKNOWN", "DNS_ERR_TIMEOUT", "DNS_ERR_SHUTDOWN",
    "DNS_IPv4_A", "DNS_PTR", "DNS_IPv6_AAAA", "DNS_QUERY_NO_SEARCH",
]

DNS_ERR_NONE = 0
DNS_ERR_FORMAT = 1
DNS_ERR_SERVERFAILED = 2
DNS_ERR_NOTEXIST = 3
DNS_ERR_NOTIMPL = 4
DNS_ERR_REFUSED = 5
DNS_ERR_TRUNCATED = 65
DNS_ERR_UNKNOWN = 66
DNS_ERR_TIMEOUT = 67
DNS_ERR_SHUTDOWN = 68
DNS_IPv4_A = 1
DNS_PTR = 2
DNS_IPv6_AAAA = 3
DNS_QUERY_NO_SEARCH = 1

_INITIALIZE_NAMESERVERS = 0x1
# No idle read event on the nameserver sockets between requests.
_DISABLE_WHEN_INACTIVE = 0x8000

_vp, _int, _cp = ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p
_CALLBACK = ctypes.CFUNCTYPE(None, _int, ctypes.c_char, _int, _int, _vp, _vp)

_new = function("evdns_base_new", _vp, [_vp, _int])
_base_free = function("evdns_base_free", None, [_vp, _int])
_add = function("evdns_base_nameserver_ip_add", _int, [_vp, _cp])
_strerror = function("evdns_err_to_string", _cp, [_int])
_by_name = {
    DNS_IPv4_A: function("evdns_base_resolve_ipv4", _vp, [_vp, _cp, _int, _vp, _vp]),
    DNS_IPv6_AAAA: function("evdns_base_resolve_ipv6", _vp, [_vp, _cp, _int, _vp, _vp]),
}
_by_address = {
    4: function("evdns_base_resolve_reverse", _vp, [_vp, _cp, _int, _vp, _vp]),
    16: function("evdns_base_resolve_reverse_ipv6", _vp, [_vp, _cp, _int, _vp, _vp]),
}


def _addresses(result: int, kind: int, count: int, addresses: Optional[int]) -> Any:
    """pyevent's addrs argument from the C answer."""
    if result != DNS_ERR_NONE or not addresses:
        return None
    if kind == DNS_IPv4_A:
        raw = ctypes.string_at(addresses, 4 * count)
        return [socket.inet_ntoa(raw[i:i + 4]) for i in range(0, len(raw), 4)]
    if kind == DNS_IPv6_AAAA:
        raw = ctypes.string_at(addresses, 16 * count)
        return [raw[i:i + 16] for i in range(0, len(raw), 16)]
    if kind == DNS_PTR and count == 1:
        name = ctypes.cast(addresses, ctypes.POINTER(_cp))[0]
        return None if name is None else name.decode("ascii", "replace")
    return None


@_CALLBACK
def _on_answer(result: int, kind: bytes, count: int, ttl: int, addresses: Optional[int], key: Optional[int]) -> None:
    request = _requests.pop(key or 0, None)
    if request is not None:
        request.answer(result, kind[0], ttl, _addresses(result, kind[0], count, addresses))


def _printing(callback: Callable[..., Any]) -> Callable[..., Any]:
    """callback with its Exceptions printed rather than stopping the loop (pyevent's way)."""

    def call(*args: Any) -> None:
        try:
            callback(*args)
        except Exception:
            traceback.print_exc()

    return call


class _Request(Waiter):
    """One question in flight: live (keeping the loop) until answered or dropped."""

    def __init__(self, resolver: _Resolver, callback: Callable[..., Any], args: Any) -> None:
        super().__init__(resolver._base)
        self.resolver, self.callback, self.args = resolver, callback, args

    def answer(self, result: int, kind: int, ttl: int, addrs: Any) -> None:
        self._keep(False)
        run_callback(self._base, _printing(self.callback), result, kind, ttl, addrs, *self.args)

    def delete(self) -> None:
        """Forget the question (rel.init()); the C request goes with the resolver."""
        _requests.pop(self._key, None)
        self._keep(False)


# key -> request in flight, of any resolver.
_requests: Dict[int, _Request] = {}


class _Resolver(Attached):
    """The evdns_base of one event base."""

    fail_requests = False  # when freed: run the callbacks of requests in flight

    def __init__(self, read_resolv_conf: bool) -> None:
        super().__init__()
        flags = _DISABLE_WHEN_INACTIVE | (_INITIALIZE_NAMESERVERS if read_resolv_conf else 0)
        ptr = _new(self._base.ptr, flags)
        if not ptr:
            raise OSError(f"evdns_base_new failed (flags {flags:#x})")
        self.ptr = ptr

    def ask(self, start: Any, query: bytes, flags: int, callback: Callable[..., Any], args: Any) -> None:
        request = _Request(self, callback, args)
        _requests[request._key] = request
        request._keep(True)
        if not start(self._live_ptr(), query, flags, _on_answer, request._key):
            request.delete()
            raise OSError("evdns could not start the request")

    def _free(self, ptr: int) -> None:
        _base_free(ptr, int(self.fail_requests))
        if self.fail_requests:
            return  # the loop yet runs their callbacks, with DNS_ERR_SHUTDOWN
        for request in list(_requests.values()):
            if request.resolver is self:
                request.delete()


_resolver: Optional[_Resolver] = None


def dns_init(nameservers: Optional[Iterable[str]] = None) -> None:
    """Start the resolver on rel's event base (again: replacing the previous one).

    With no nameservers, those of /etc/resolv.conf (pyevent's behaviour);
    otherwise only the given "ip[:port]" ones.
    """
    global _resolver
    require("evdns_base_new")
    dns_shutdown()
    fresh = _Resolver(nameservers is None)
    try:
        for server in nameservers or ():
            _add_to(fresh, server)
    except BaseException:
        fresh.close()
        raise
    _resolver = fresh


def _add_to(resolver: _Resolver, server: str) -> None:
    if _add(resolver._live_ptr(), server.encode()) != 0:
        raise ValueError(f"not a usable nameserver address: {server!r}")


def _current() -> _Resolver:
    resolver = _resolver
    if resolver is None or not resolver.ptr or resolver._base is not current_base():
        raise RuntimeError("call rel.dns_init() first (rel.init() drops the resolver)")
    return resolver


def dns_add_nameserver(server: str) -> None:
    """Ask also the nameserver at "ip[:port]"."""
    _add_to(_current(), server)


def dns_resolve_ipv4(name: str, flags: int, callback: Callable[..., Any], *args: Any) -> None:
    """Look up name's A records: callback(result, type, ttl, ["a.b.c.d", ...], *args)."""
    _current().ask(_by_name[DNS_IPv4_A], _encode(name), flags, callback, args)


def dns_resolve_ipv6(name: str, flags: int, callback: Callable[..., Any], *args: Any) -> None:
    """Look up name's AAAA records: callback(result, type, ttl, [16-byte address, ...], *args)."""
    _current().ask(_by_name[DNS_IPv6_AAAA], _encode(name), flags, callback, args)


def _encode(name: str) -> bytes:
    return name.encode("ascii") if name.isascii() else name.encode("idna")


def _reverse(ip: bytes, size: int, flags: int, callback: Callable[..., Any], args: Any) -> None:
    packed = bytes(ip)
    if len(packed) != size:
        raise ValueError(f"expected a {size}-byte packed address, got {len(packed)} bytes")
    _current().ask(_by_address[size], packed, flags, callback, args)


def dns_resolve_reverse(ip: bytes, flags: int, callback: Callable[..., Any], *args: Any) -> None:
    """PTR lookup of a 4-byte packed IPv4 address: callback(result, DNS_PTR, ttl, name, *args)."""
    _reverse(ip, 4, flags, callback, args)


def dns_resolve_reverse_ipv6(ip: bytes, flags: int, callback: Callable[..., Any], *args: Any) -> None:
    """PTR lookup of a 16-byte packed IPv6 address (pyevent asked the IPv4 name by mistake)."""
    _reverse(ip, 16, flags, callback, args)


def dns_shutdown(fail_requests: int = 0) -> None:
    """Stop the resolver; requests in flight get DNS_ERR_SHUTDOWN (from the loop)
    if fail_requests, else nothing."""
    global _resolver
    resolver, _resolver = _resolver, None
    if resolver is not None:
        resolver.fail_requests = bool(fail_requests)
        resolver.close()


def dns_err_to_string(code: int) -> str:
    """The library's text for a DNS_ERR_* code."""
    require("evdns_err_to_string")
    text = _strerror(code)
    return "unknown" if text is None else text.decode()
