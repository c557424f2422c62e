"""Quick rel benchmark (not part of the test suite).

    cd python && PYTHONPATH=. REL_LIBRARY=../target/release/librel.so python3 benchmarks/bench.py [epoll poll select]

- ping-pong: 1-byte round trips per second over a socketpair, both ends
  served by one loop (uvloop's figure alongside when uvloop is installed);
- chained timers: 1000 successive 1 ms timers, each callback arming a new
  one, and the same with one timer re-armed by a truthy return;
- idle: voluntary context switches of the loop thread during a 2 s wait
  (1 is the timer expiring; anything more is a spurious wake-up).
"""

import asyncio
import resource
import socket
import sys
import time

import rel
import rel.core


def pingpong(method, seconds=2.0):
    rel.initialize([method], ["strict"])
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    n = 0
    deadline = time.perf_counter() + seconds

    def on_a():
        nonlocal n
        a.recv(1)
        n += 1
        if n & 1023 == 0 and time.perf_counter() > deadline:
            rel.abort()
            return False
        a.send(b"x")
        return True

    def on_b():
        b.recv(1)
        b.send(b"y")
        return True

    rel.read(a, on_a)
    rel.read(b, on_b)
    start = time.perf_counter()
    a.send(b"x")
    rel.dispatch()
    elapsed = time.perf_counter() - start
    a.close()
    b.close()
    return n / elapsed


def chained(method, count=1000, rearm=False):
    rel.initialize([method], ["strict"])
    n = 0

    def again():
        nonlocal n
        n += 1
        if rearm:
            return n < count
        if n < count:
            rel.timeout(0.001, again)
        return False

    rel.timeout(0.001, again)
    start = time.perf_counter()
    rel.dispatch()
    return time.perf_counter() - start


def idle(method, seconds=2.0):
    rel.initialize([method], ["strict"])
    rel.timeout(seconds, lambda: None)
    before = resource.getrusage(resource.RUSAGE_THREAD)
    cpu = time.process_time()
    rel.dispatch()
    after = resource.getrusage(resource.RUSAGE_THREAD)
    return after.ru_nvcsw - before.ru_nvcsw, time.process_time() - cpu


def uvloop_pingpong(seconds=2.0):
    import uvloop

    async def main():
        loop = asyncio.get_running_loop()
        a, b = socket.socketpair()
        done = loop.create_future()
        n = 0
        deadline = time.perf_counter() + seconds

        class Pinger(asyncio.Protocol):
            def connection_made(self, transport):
                self.transport = transport

            def data_received(self, data):
                nonlocal n
                n += 1
                if n & 1023 == 0 and time.perf_counter() > deadline:
                    done.set_result(None)
                else:
                    self.transport.write(b"x")

        class Ponger(Pinger):
            def data_received(self, data):
                self.transport.write(b"y")

        ta, _ = await loop.create_connection(Pinger, sock=a)
        tb, _ = await loop.create_connection(Ponger, sock=b)
        start = time.perf_counter()
        ta.write(b"x")
        await done
        rate = n / (time.perf_counter() - start)
        ta.close()
        tb.close()
        return rate

    return uvloop.run(main())


def main(methods):
    print("library:", rel.core.LIBRARY_PATH)
    try:
        print(f"uvloop  ping-pong: {max(uvloop_pingpong() for _ in range(3)):,.0f} round trips/s")
    except ImportError:
        pass
    for m in methods:
        print(f"{m:7s} ping-pong: {max(pingpong(m) for _ in range(3)):,.0f} round trips/s")
        print(f"{m:7s} 1000 chained 1 ms timers: {chained(m):.3f} s (new timer each), "
              f"{chained(m, rearm=True):.3f} s (truthy re-arm)")
        switches, cpu = idle(m)
        print(f"{m:7s} idle 2 s: {switches} voluntary context switches, {cpu * 1000:.1f} ms CPU")


if __name__ == "__main__":
    main(sys.argv[1:] or ["epoll", "poll", "select"])
