"""probes.py - when a server in a booting VM first answers, asked through
QEMU's port forward the way one client would ask: at most two attempts
out at a time (bench/realapps.py, bench/net.py, bench/footprint.py).

QEMU's user-network forward accepts a host connection at once, even
before the guest's network is up; the SYN it passes on is then lost and
slirp resends it only seconds later, so one attempt made too early times
slirp, not the server (every nginx and redis start-up read ~2.1 s that
way, docs/performance.md). A new attempt every 50 ms, each allowed 2 s,
fixed that but kept up to 40 connections open at a server that was still
starting (and at a guest whose smallest memory was being bisected). Here
there are two slots:

  long   the first attempt, allowed FIRST_S: a slow server's first answer
         (nginx's took up to 158 ms at a load of 17) is never cut short;
         when it ends without an answer the next one takes the slot.
  short  opened once the long attempt has been out STAGGER_S; its first
         attempt is allowed RETRY_S, each next one RETRY_GROWTH times
         the last (0.2, 0.3, 0.45 ... s), then closed for the next. One
         made before the guest's network was up delays the answer by its
         own time at most, not by slirp's resend; and a server slower
         than RETRY_S still answers in a later, longer one before the
         long slot's FIRST_S is out.

A slot's next attempt starts no sooner than GAP_S after its last one
(a refused connection fails at once). The figure is the earliest answer.
"""

import socket
import threading
import time

FIRST_S = 2.0       # s the long slot's attempt may take
STAGGER_S = 0.1     # s the long attempt is out before the short slot opens
RETRY_S = 0.2       # s the short slot's first attempt may take,
RETRY_GROWTH = 1.5  # and each next one this many times the last
GAP_S = 0.02        # s at least between two starts in one slot
HOST = "127.0.0.1"


def exchange(sock, port, request, end, whole=True):
    """Connect sock to HOST:port, send request and return the answer: all
    of it up to the server's close (whole) or its first bytes, everything
    before time.perf_counter() reaches end (socket.timeout past it;
    OSError for the rest)."""
    def left():
        t = end - time.perf_counter()
        if t <= 0:
            raise socket.timeout("over the probe's time")
        return t

    sock.settimeout(left())
    sock.connect((HOST, port))
    sock.settimeout(left())
    sock.sendall(request)
    data = bytearray()
    while True:
        sock.settimeout(left())
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
        if not whole:
            break
    return bytes(data)


class Probes:
    """The attempts at one server's first answer: good(answer) says
    whether the answer to request is the right one. Call poll() often
    (it starts attempts when they are due) and finish() once done."""

    def __init__(self, port, request, good, whole=True):
        self.port, self.request, self.good = port, request, good
        self.whole = whole
        self.answered = None        # perf_counter() of the first answer
        self.lock = threading.Lock()
        self.threads = []
        self.socks = set()          # the attempts' sockets still open
        self.out = {}               # slot -> perf_counter() it started at
        self.started = {}           # slot -> its last start
        self.done = False
        self.retry_s = RETRY_S      # the short slot's next attempt's time

    def _attempt(self, slot, limit_s):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ok = False
        try:
            with self.lock:
                if self.done:
                    return
                self.socks.add(s)
            answer = exchange(s, self.port, self.request,
                              time.perf_counter() + limit_s, self.whole)
            ok = self.good(answer)
        except OSError:
            pass
        finally:
            now = time.perf_counter()
            with self.lock:
                self.socks.discard(s)
                del self.out[slot]
                if ok and (self.answered is None or now < self.answered):
                    self.answered = now
            s.close()

    def _start(self, slot, limit_s, now):
        self.out[slot] = self.started[slot] = now
        t = threading.Thread(target=self._attempt, args=(slot, limit_s),
                             daemon=True)
        self.threads.append(t)
        t.start()

    def poll(self):
        """Start the attempt that is due, if any; the first answer's
        perf_counter(), or None."""
        now = time.perf_counter()
        with self.lock:
            if self.answered is not None or self.done:
                return self.answered
            if "long" not in self.out:
                if now - self.started.get("long", -GAP_S) >= GAP_S:
                    self._start("long", FIRST_S, now)
            elif "short" not in self.out and \
                    now - self.out["long"] >= STAGGER_S and \
                    now - self.started.get("short", -GAP_S) >= GAP_S:
                self._start("short", self.retry_s, now)
                self.retry_s *= RETRY_GROWTH
            return self.answered

    def finish(self):
        """Close the attempts still out and wait for their threads, all
        within one deadline, so that none meets the load or the next
        boot."""
        with self.lock:
            self.done = True
            for s in self.socks:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        end = time.perf_counter() + FIRST_S + 1
        for t in self.threads:
            t.join(max(0.0, end - time.perf_counter()))
