#!/usr/bin/python3
"""zaio-relay as a command: its endpoint line, a script step, faults typed on stdin and
the counts at exit. An echo server plays the target and a client streams ZMTP-shaped
frames (a 64-byte greeting, then 2-byte-header frames) through the relay.

Usage: relay_cli.py <zaio-relay>"""
import socket
import subprocess
import sys
import threading
import time

relay = sys.argv[1]
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def echo_server():
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)

    def serve(c):
        try:
            while True:
                d = c.recv(65536)
                if not d:
                    break
                c.sendall(d)
        except OSError:
            pass
        c.close()

    def loop():
        while True:
            c, _ = srv.accept()
            threading.Thread(target=serve, args=(c,), daemon=True).start()

    threading.Thread(target=loop, daemon=True).start()
    return srv.getsockname()[1]


def connect(endpoint):
    host, port = endpoint[len("tcp://"):].rsplit(":", 1)
    c = socket.create_connection((host, int(port)), timeout=10)
    return c


def recv_exactly(c, n):
    got = b""
    while len(got) < n:
        d = c.recv(n - len(got))
        if not d:
            break
        got += d
    return got


port = echo_server()
GREETING = b"\xff" + b"\x00" * 8 + b"\x7f" + b"\x03\x01" + b"NULL".ljust(20, b"\x00") + b"\x00" * 32
FRAME = b"\x00\x10" + b"0123456789abcdef"  # a short frame, 18 bytes

# 1. bad arguments and --help
check(subprocess.run([relay, "--help"], capture_output=True).returncode == 0, "--help exits 0")
check(subprocess.run([relay, "127.0.0.1:%d" % port, "nonsense"], capture_output=True).returncode == 2,
      "a bad step exits 2")

# 2. a script: relayed intact, then an RST mid-frame at 300 ms
p = subprocess.Popen([relay, "--duration", "2s", "127.0.0.1:%d" % port, "300ms:rst"],
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
ep = p.stdout.readline().strip()
check(ep.startswith("tcp://127.0.0.1:"), "the first line is the endpoint: %s" % ep)
c = connect(ep)
c.sendall(GREETING + FRAME)
check(recv_exactly(c, len(GREETING) + len(FRAME)) == GREETING + FRAME, "bytes relayed intact both ways")
reset = False
deadline = time.monotonic() + 10  # a safety net: the step is due at 300 ms
try:
    while time.monotonic() < deadline:
        c.sendall(FRAME)  # traffic for the cut to land in
        if not c.recv(65536):
            break
except ConnectionResetError:
    reset = True
check(reset, "the client is reset after the scripted rst")
out, _ = p.communicate(timeout=30)
check(p.returncode == 0, "exit 0 after --duration")
check("cuts rst=1 " in out and "mid_frame=1 " in out, "the counts show one rst, mid-frame:\n" + out)

# 3. faults typed on stdin: latency, then stats and quit
p = subprocess.Popen([relay, "127.0.0.1:%d" % port], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                     stderr=subprocess.PIPE, text=True)
ep = p.stdout.readline().strip()
c = connect(ep)
c.sendall(GREETING)
recv_exactly(c, len(GREETING))
p.stdin.write("latency=200\n")
p.stdin.flush()
check(p.stdout.readline().strip() == "ok latency=200", "a fault on stdin is acknowledged")
t0 = time.monotonic()
c.sendall(FRAME)
echo = recv_exactly(c, len(FRAME))
rtt = time.monotonic() - t0
# a lower bound only: the relay cannot deliver earlier than the latency it was given
check(echo == FRAME and rtt >= 0.4, "200 ms each way: the round trip took %.3f s" % rtt)
p.stdin.write("bogus\nstats\nquit\n")
p.stdin.flush()
out, _ = p.communicate(timeout=30)
check("error 'bogus'" in out, "an unknown fault is refused")
check("faults latency=1 " in out and "accepted=1 " in out, "stats count the latency and the connection")
check(p.returncode == 0, "exit 0 on quit")
c.close()

if failures:
    print("%d check(s) failed" % len(failures))
    sys.exit(1)
print("all checks passed")
