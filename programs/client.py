#!/usr/bin/env python3
"""Loopback clients (and one fake server) for programs/*.sh, standard library only.

  client.py port                            a free loopback port
  client.py mc PORT CHECK                   memcached checks: setget incr delete large parallel
  client.py dns PORT [tcp] NAME...          per NAME one line: its A records
                                            (comma-separated) or the rcode
  client.py pg PORT USER DB SQL...          rows of simple queries (one connection),
                                            tab-separated
  client.py pgfake PORT                     a fake PostgreSQL backend for pgbouncer
  client.py trpc PORT CHECK [FILE]          Transmission RPC checks: handshake session
                                            add (FILE: a .torrent) list remove parallel
                                            gzip web

Failures end with status 1 and one line saying why.
"""
import base64
import gzip
import http.client
import json
import os
import random
import socket
import struct
import sys
import threading

TIMEOUT = 10


def die(msg):
    print(msg)
    sys.exit(1)


def free_port():
    # Free for both TCP and UDP: the DNS servers listen on both.
    for _ in range(50):
        t = socket.socket()
        t.bind(("127.0.0.1", 0))
        port = t.getsockname()[1]
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            u.close()
            t.close()
    die("no free port")


# --- memcached (text protocol) ---------------------------------------------


class Mc:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        self.buf = b""

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                die("memcached closed the connection")
            self.buf += chunk
        out, self.buf = self.buf.split(b"\r\n", 1)
        return out

    def exact(self, n):
        while len(self.buf) < n:
            chunk = self.s.recv(1 << 20)
            if not chunk:
                die("memcached closed the connection")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def cmd(self, text, data=None):
        msg = text.encode() + b"\r\n"
        if data is not None:
            msg += data + b"\r\n"
        self.s.sendall(msg)
        return self.line()

    def set(self, key, value):
        r = self.cmd("set %s 0 0 %d" % (key, len(value)), value)
        if r != b"STORED":
            die("set %s: %r" % (key, r))

    def get_many(self, keys):
        self.s.sendall(("get %s\r\n" % " ".join(keys)).encode())
        got = {}
        while True:
            head = self.line()
            if head == b"END":
                return got
            parts = head.split()
            if parts[0] != b"VALUE":
                die("get: %r" % head)
            got[parts[1].decode()] = self.exact(int(parts[3]) + 2)[:-2]


def mc_setget(port, n=3000):
    mc = Mc(port)
    vals = {"k%05d" % i: os.urandom(1 + i % 300) for i in range(n)}
    for k, v in vals.items():
        mc.set(k, v)
    keys = list(vals)
    for i in range(0, n, 100):  # multi-key gets, 100 keys each
        got = mc.get_many(keys[i : i + 100])
        for k in keys[i : i + 100]:
            if got.get(k) != vals[k]:
                die("get %s: wrong value" % k)
    return "%d keys" % n


def mc_incr(port):
    mc = Mc(port)
    mc.set("counter", b"41")
    for want in (42, 52):
        r = mc.cmd("incr counter %d" % (1 if want == 42 else 10))
        if r != str(want).encode():
            die("incr: %r, want %d" % (r, want))
    r = mc.cmd("decr counter 2")
    if r != b"50":
        die("decr: %r" % r)
    if mc.get_many(["counter"]).get("counter") != b"50":
        die("get after incr/decr")
    return "41 -> 42 -> 52 -> 50"


def mc_delete(port):
    mc = Mc(port)
    mc.set("doomed", b"x")
    if mc.cmd("delete doomed") != b"DELETED":
        die("delete did not say DELETED")
    if mc.get_many(["doomed"]):
        die("deleted key still there")
    r = mc.cmd("delete doomed")
    if r != b"NOT_FOUND":
        die("second delete: %r" % r)
    return "deleted"


def mc_large(port, size=900 * 1024):
    mc = Mc(port)
    v = os.urandom(size)
    mc.set("large", v)
    if mc.get_many(["large"]).get("large") != v:
        die("large value came back different")
    return "%d bytes" % size


def mc_parallel(port, clients=16, per=200):
    errors = []

    def work(c):
        try:
            mc = Mc(port)
            for i in range(per):
                k, v = "p%d_%d" % (c, i), os.urandom(64)
                mc.set(k, v)
                if mc.get_many([k]).get(k) != v:
                    errors.append(k)
        except SystemExit:
            errors.append("client %d" % c)
        except OSError as e:
            errors.append("client %d: %s" % (c, e))

    threads = [threading.Thread(target=work, args=(c,)) for c in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        die("%d failures, first %s" % (len(errors), errors[0]))
    return "%d clients x %d set/get" % (clients, per)


# --- DNS ---------------------------------------------------------------------

RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}


def dns_query(port, name, tcp=False):
    qid = random.randrange(65536)
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    q += b"".join(bytes([len(p)]) + p.encode() for p in name.rstrip(".").split(".")) + b"\0"
    q += struct.pack(">HH", 1, 1)  # A, IN
    if tcp:
        s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        s.sendall(struct.pack(">H", len(q)) + q)
        data = b""
        while len(data) < 2 or len(data) < 2 + struct.unpack(">H", data[:2])[0]:
            chunk = s.recv(65536)
            if not chunk:
                die("connection closed")
            data += chunk
        r = data[2:]
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(2)
        for _ in range(3):  # UDP: resend on loss
            s.sendto(q, ("127.0.0.1", port))
            try:
                r = s.recv(65536)
                break
            except socket.timeout:
                continue
        else:
            die("no answer")
    rid, flags, qd, an = struct.unpack(">HHHH", r[:8])
    if rid != qid:
        die("answer to another query")
    if flags & 0xF:
        return [RCODES.get(flags & 0xF, "rcode %d" % (flags & 0xF))]
    pos = 12
    for _ in range(qd):
        pos = skip_name(r, pos) + 4
    out = []
    for _ in range(an):
        pos = skip_name(r, pos)
        typ, _cls, _ttl, rdlen = struct.unpack(">HHIH", r[pos : pos + 10])
        pos += 10
        if typ == 1:
            out.append(socket.inet_ntoa(r[pos : pos + 4]))
        pos += rdlen
    return out


def skip_name(r, pos):
    while True:
        n = r[pos]
        if n == 0:
            return pos + 1
        if n & 0xC0:
            return pos + 2
        pos += n + 1


# --- PostgreSQL wire protocol (v3, simple queries) -----------------------------


def pg_msg(tag, body):
    return tag + struct.pack(">I", len(body) + 4) + body


def pg_read(s, buf):
    while len(buf) < 5 or len(buf) < 1 + struct.unpack(">I", buf[1:5])[0]:
        chunk = s.recv(65536)
        if not chunk:
            die("connection closed")
        buf += chunk
    n = 1 + struct.unpack(">I", buf[1:5])[0]
    return buf[:1], buf[5:n], buf[n:]


def pg_query(port, user, db, queries):
    s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    params = b"user\0%s\0database\0%s\0\0" % (user.encode(), db.encode())
    body = struct.pack(">I", 196608) + params
    s.sendall(struct.pack(">I", len(body) + 4) + body)
    buf, rows, todo = b"", [], list(queries)
    while True:
        tag, body, buf = pg_read(s, buf)
        if tag == b"E":
            fields = dict((f[:1], f[1:]) for f in body.split(b"\0") if f)
            die("server error: %s" % fields.get(b"M", body).decode(errors="replace"))
        if tag == b"R" and struct.unpack(">I", body[:4])[0] != 0:
            die("server wants a password")
        if tag == b"D":
            n = struct.unpack(">H", body[:2])[0]
            pos, row = 2, []
            for _ in range(n):
                ln = struct.unpack(">i", body[pos : pos + 4])[0]
                pos += 4
                row.append("" if ln < 0 else body[pos : pos + ln].decode())
                pos += max(ln, 0)
            rows.append("\t".join(row))
        if tag == b"Z":
            if not todo:
                s.sendall(pg_msg(b"X", b""))
                return rows
            s.sendall(pg_msg(b"Q", todo.pop(0).encode() + b"\0"))


def pg_fake(port):
    """Answers every simple query with one row: "fake:" and the query in capitals."""
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(16)

    def serve(c):
        buf = b""
        try:
            while len(buf) < 4 or len(buf) < struct.unpack(">I", buf[:4])[0]:
                buf += c.recv(65536) or die("eof")
            buf = buf[struct.unpack(">I", buf[:4])[0] :]
            out = pg_msg(b"R", struct.pack(">I", 0))
            for k, v in (("server_version", "15.0"), ("client_encoding", "UTF8"),
                         ("standard_conforming_strings", "on"), ("DateStyle", "ISO, MDY"),
                         ("TimeZone", "UTC"), ("integer_datetimes", "on")):
                out += pg_msg(b"S", k.encode() + b"\0" + v.encode() + b"\0")
            out += pg_msg(b"K", struct.pack(">II", 1, 2)) + pg_msg(b"Z", b"I")
            c.sendall(out)
            while True:
                tag, body, buf = pg_read(c, buf)
                if tag == b"X":
                    return
                if tag != b"Q":
                    c.sendall(pg_msg(b"E", b"SERROR\0MFake backend: simple queries only\0\0") + pg_msg(b"Z", b"I"))
                    continue
                sql = body.rstrip(b"\0")
                col = b"answer\0" + struct.pack(">IhIhih", 0, 0, 25, -1, -1, 0)
                val = b"fake:" + sql.upper()
                row = struct.pack(">Hi", 1, len(val)) + val
                c.sendall(pg_msg(b"T", struct.pack(">H", 1) + col) + pg_msg(b"D", row)
                          + pg_msg(b"C", b"SELECT 1\0") + pg_msg(b"Z", b"I"))
        except (SystemExit, OSError):
            pass
        finally:
            c.close()

    while True:
        c, _ = ls.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


# --- Transmission RPC (JSON over HTTP, evhttp on the server side) ----------


class Trpc:
    """One keep-alive connection, with the X-Transmission-Session-Id dance."""

    def __init__(self, port):
        self.c = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
        self.sid = None

    def post(self, body, headers=None):
        h = {"Content-Type": "application/json"}
        if self.sid:
            h["X-Transmission-Session-Id"] = self.sid
        h.update(headers or {})
        self.c.request("POST", "/transmission/rpc", body=body, headers=h)
        r = self.c.getresponse()
        return r, r.read()

    def call(self, method, **arguments):
        body = json.dumps({"method": method, "arguments": arguments, "tag": 7})
        r, data = self.post(body)
        if r.status == 409:
            self.sid = r.getheader("X-Transmission-Session-Id")
            r, data = self.post(body)
        if r.status != 200:
            die("%s: HTTP %d" % (method, r.status))
        reply = json.loads(data)
        if reply.get("result") != "success" or reply.get("tag") != 7:
            die("%s: %r" % (method, reply.get("result")))
        return reply["arguments"]


def trpc_handshake(port):
    # Without the session id the server answers 409 and names one.
    r, body = Trpc(port).post(b'{"method":"session-get"}')
    sid = r.getheader("X-Transmission-Session-Id")
    if r.status != 409 or not sid or sid.encode() not in body:
        die("handshake: HTTP %d, id %r" % (r.status, sid))
    return "409 with a session id"


def trpc_session(port):
    a = Trpc(port).call("session-get")
    if a.get("dht-enabled") or a.get("lpd-enabled") or a.get("pex-enabled"):
        die("session-get: DHT/LPD/PEX should be off: %r" % a)
    return "version %s, rpc %d" % (a["version"].split()[0], a["rpc-version"])


def trpc_add(port, path):
    with open(path, "rb") as f:
        meta = base64.b64encode(f.read()).decode()
    a = Trpc(port).call("torrent-add", metainfo=meta, paused=True)
    t = a.get("torrent-added") or a.get("torrent-duplicate")
    if not t:
        die("torrent-add: %r" % a)
    return t["name"]


def trpc_list(port):
    a = Trpc(port).call("torrent-get", fields=["id", "name", "totalSize", "hashString"])
    return "\n".join("%s %d" % (t["name"], t["totalSize"]) for t in a["torrents"])


def trpc_remove(port):
    t = Trpc(port)
    ids = [x["id"] for x in t.call("torrent-get", fields=["id"])["torrents"]]
    t.call("torrent-remove", ids=ids)
    left = t.call("torrent-get", fields=["id"])["torrents"]
    if left:
        die("torrent-remove left %r" % left)
    return "removed %d" % len(ids)


def trpc_parallel(port, clients=8, per=50):
    # Keep-alive connections in parallel, each many requests long.
    errors = []

    def run():
        try:
            t = Trpc(port)
            for _ in range(per):
                t.call("session-stats")
        except BaseException as e:  # die() raises SystemExit
            errors.append(str(e) or "died")

    threads = [threading.Thread(target=run) for _ in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    if errors:
        die("parallel: %s" % errors[0])
    return "%d requests" % (clients * per)


def trpc_gzip(port):
    t = Trpc(port)
    t.call("session-get")  # learn the session id
    r, data = t.post(json.dumps({"method": "session-get"}), {"Accept-Encoding": "gzip"})
    if r.status != 200 or r.getheader("Content-Encoding") != "gzip":
        die("gzip: HTTP %d, encoding %r" % (r.status, r.getheader("Content-Encoding")))
    return json.loads(gzip.decompress(data))["result"]


def trpc_web(port):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    c.request("GET", "/transmission/web/")
    r = c.getresponse()
    body = r.read()
    if r.status != 200 or b"<html" not in body.lower():
        die("web: HTTP %d, %d bytes" % (r.status, len(body)))
    return "%d %s" % (r.status, r.getheader("Content-Type"))


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    try:
        if cmd == "port":
            print(free_port())
        elif cmd == "mc":
            checks = {"setget": mc_setget, "incr": mc_incr, "delete": mc_delete,
                      "large": mc_large, "parallel": mc_parallel}
            print(checks[argv[3]](int(argv[2])))
        elif cmd == "dns":
            tcp = argv[3] == "tcp"
            for name in argv[4 if tcp else 3 :]:
                print(",".join(dns_query(int(argv[2]), name, tcp)))
        elif cmd == "pg":
            print("\n".join(pg_query(int(argv[2]), argv[3], argv[4], argv[5:])))
        elif cmd == "pgfake":
            pg_fake(int(argv[2]))
        elif cmd == "trpc":
            checks = {"handshake": trpc_handshake, "session": trpc_session, "add": trpc_add,
                      "list": trpc_list, "remove": trpc_remove, "parallel": trpc_parallel,
                      "gzip": trpc_gzip, "web": trpc_web}
            print(checks[argv[3]](int(argv[2]), *argv[4:]))
        else:
            sys.exit(__doc__)
    except OSError as e:
        die("%s: %s" % (cmd, e))


if __name__ == "__main__":
    main(sys.argv)
