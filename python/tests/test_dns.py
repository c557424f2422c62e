"""pyevent's dns_* calls, asking a DNS server this test runs on loopback."""

import socket
import struct
import sys
import threading

import pytest

import rel
import rel.core
from rel import dns
from rel.dns import (DNS_ERR_NONE, DNS_ERR_NOTEXIST, DNS_ERR_SHUTDOWN, DNS_IPv4_A, DNS_IPv6_AAAA, DNS_PTR,
                     DNS_QUERY_NO_SEARCH)

pytestmark = pytest.mark.skipif(not hasattr(rel.core._lib, "evdns_base_new"),
                                reason=f"{rel.core.LIBRARY_PATH} has no evdns")

A, PTR, AAAA = 1, 12, 28
V6 = socket.inet_pton(socket.AF_INET6, "2001:db8::5")


def _name(text):
    return b"".join(bytes([len(p)]) + p.encode() for p in text.split(".")) + b"\0"


def _rr(rtype, ttl, rdata):
    # Owner name: a pointer to the question's name (offset 12), whose case
    # (evdns randomizes it) the answer must repeat.
    return struct.pack("!HHHIH", 0xC00C, rtype, 1, ttl, len(rdata)) + rdata


ZONE = {
    ("host.test", A): [_rr(A, 300, socket.inet_aton("10.0.0.1")), _rr(A, 300, socket.inet_aton("10.0.0.2"))],
    ("host.test", AAAA): [_rr(AAAA, 60, V6)],
    ("4.3.2.1.in-addr.arpa", PTR): [_rr(PTR, 120, _name("ptr.test"))],
    (".".join(reversed(V6.hex())) + ".ip6.arpa", PTR): [_rr(PTR, 90, _name("v6.test"))],
}


class Server:
    """A UDP DNS responder for ZONE on 127.0.0.1 (NXDOMAIN for other names);
    counts the questions it saw."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.address = "%s:%d" % self.sock.getsockname()
        self.questions = []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._serve)
        self.thread.start()

    def _serve(self):
        while not self.done.is_set():
            try:
                packet, peer = self.sock.recvfrom(512)
            except socket.timeout:
                continue
            self.sock.sendto(self._answer(packet), peer)

    def _answer(self, packet):
        ident, _flags, _qd = struct.unpack("!HHH", packet[:6])
        pos, labels = 12, []
        while packet[pos]:
            labels.append(packet[pos + 1:pos + 1 + packet[pos]].decode())
            pos += 1 + packet[pos]
        question = packet[12:pos + 5]
        qtype = struct.unpack("!H", packet[pos + 1:pos + 3])[0]
        name = ".".join(labels).lower()
        self.questions.append((name, qtype))
        answers = ZONE.get((name, qtype))
        known = any(n == name for n, _ in ZONE)
        rcode = 0 if known else 3
        answers = answers or []
        header = struct.pack("!HHHHHH", ident, 0x8180 | rcode, 1, len(answers), 0, 0)
        return header + question + b"".join(answers)

    def close(self):
        self.done.set()
        self.thread.join()
        self.sock.close()


@pytest.fixture
def server(backend):
    srv = Server()
    dns.dns_init(nameservers=[srv.address])
    yield srv
    dns.dns_shutdown()
    srv.close()


def _ask(run, resolve, *query):
    got = []
    resolve(*query, lambda *answer: got.append(answer), "tag")
    run()
    assert len(got) == 1
    return got[0]


def test_constants_are_pyevents():
    assert (dns.DNS_ERR_NONE, dns.DNS_ERR_FORMAT, dns.DNS_ERR_SERVERFAILED, dns.DNS_ERR_NOTEXIST,
            dns.DNS_ERR_NOTIMPL, dns.DNS_ERR_REFUSED) == (0, 1, 2, 3, 4, 5)
    assert (dns.DNS_ERR_TRUNCATED, dns.DNS_ERR_UNKNOWN, dns.DNS_ERR_TIMEOUT, dns.DNS_ERR_SHUTDOWN) == (65, 66, 67, 68)
    assert (DNS_IPv4_A, DNS_PTR, DNS_IPv6_AAAA, DNS_QUERY_NO_SEARCH) == (1, 2, 3, 1)


def test_ipv4(server, run):
    answer = _ask(run, dns.dns_resolve_ipv4, "host.test", 0)
    assert answer == (DNS_ERR_NONE, DNS_IPv4_A, 300, ["10.0.0.1", "10.0.0.2"], "tag")
    assert server.questions == [("host.test", A)]


def test_nxdomain(server, run):
    result, _kind, _ttl, addrs, tag = _ask(run, dns.dns_resolve_ipv4, "missing.test", DNS_QUERY_NO_SEARCH)
    assert (result, addrs, tag) == (DNS_ERR_NOTEXIST, None, "tag")
    assert "exist" in dns.dns_err_to_string(result)


def test_ipv6(server, run):
    assert _ask(run, dns.dns_resolve_ipv6, "host.test", 0) == (DNS_ERR_NONE, DNS_IPv6_AAAA, 60, [V6], "tag")


def test_reverse(server, run):
    answer = _ask(run, dns.dns_resolve_reverse, socket.inet_aton("1.2.3.4"), 0)
    assert answer == (DNS_ERR_NONE, DNS_PTR, 120, "ptr.test", "tag")


def test_reverse_ipv6_asks_the_ip6_arpa_name(server, run):
    answer = _ask(run, dns.dns_resolve_reverse_ipv6, V6, 0)
    assert answer == (DNS_ERR_NONE, DNS_PTR, 90, "v6.test", "tag")
    assert server.questions[0][0].endswith(".ip6.arpa")


def test_chained_requests(server, run):
    got = []

    def then_ipv6(result, kind, ttl, addrs):
        got.append(addrs)
        dns.dns_resolve_ipv6("host.test", 0, lambda *answer: got.append(answer[3]))

    dns.dns_resolve_ipv4("host.test", 0, then_ipv6)
    run()
    assert got == [["10.0.0.1", "10.0.0.2"], [V6]]


def test_packed_address_sizes_are_checked(server):
    with pytest.raises(ValueError):
        dns.dns_resolve_reverse(V6, 0, print)
    with pytest.raises(ValueError):
        dns.dns_resolve_reverse_ipv6(socket.inet_aton("1.2.3.4"), 0, print)


def test_callback_exception_is_printed_and_the_loop_goes_on(server, run, capsys):
    got = []

    def bad(*answer):
        raise RuntimeError("callback failed")

    dns.dns_resolve_ipv4("host.test", 0, bad)
    dns.dns_resolve_ipv6("host.test", 0, lambda *answer: got.append(answer[0]))
    run()
    assert got == [DNS_ERR_NONE]
    assert "RuntimeError: callback failed" in capsys.readouterr().err


def test_shutdown_fails_requests_in_flight(server, run):
    got = []
    server.done.set()  # the server stops answering
    server.thread.join()
    dns.dns_resolve_ipv4("host.test", 0, lambda *answer: got.append(answer[0]))
    dns.dns_resolve_ipv6("host.test", 0, lambda *answer: got.append(answer[0]))
    dns.dns_shutdown(1)
    run()
    assert got == [DNS_ERR_SHUTDOWN, DNS_ERR_SHUTDOWN]
    assert rel.report() == {"timers": 0, "signals": 0, "reads": 0, "writes": 0}
    with pytest.raises(RuntimeError):
        dns.dns_resolve_ipv4("host.test", 0, print)


def test_shutdown_drops_requests_in_flight(server, run):
    got = []
    server.done.set()
    server.thread.join()
    dns.dns_resolve_ipv4("host.test", 0, lambda *answer: got.append(answer))
    dns.dns_shutdown()
    run()  # nothing left to wait for: returns at once
    assert got == []


def test_init_drops_the_resolver(server, run):
    got = []
    dns.dns_resolve_ipv4("host.test", 0, lambda *answer: got.append(answer))
    rel.init()
    run()  # nothing left to wait for: returns at once
    assert got == []
    with pytest.raises(RuntimeError):
        dns.dns_resolve_ipv4("host.test", 0, print)


def test_add_nameserver(backend, run):
    srv = Server()
    try:
        dns.dns_init(nameservers=[])
        dns.dns_add_nameserver(srv.address)
        with pytest.raises(ValueError):
            dns.dns_add_nameserver("not an address")
        assert _ask(run, dns.dns_resolve_ipv4, "host.test", 0)[3] == ["10.0.0.1", "10.0.0.2"]
    finally:
        dns.dns_shutdown()
        srv.close()


def test_through_override(server, run):
    saved = sys.modules.pop("event", None)
    try:
        rel.override()
        import event

        assert event.DNS_ERR_NOTEXIST == DNS_ERR_NOTEXIST
        got = []
        event.dns_resolve_ipv4("host.test", 0, lambda *answer: got.append(answer))
        run()
        assert got == [(DNS_ERR_NONE, DNS_IPv4_A, 300, ["10.0.0.1", "10.0.0.2"])]
    finally:
        sys.modules.pop("event", None)
        if saved is not None:
            sys.modules["event"] = saved
