#!/usr/bin/env python3
"""e2e-probe.py: timing helpers of tests/bench/e2e-bench.sh.

  e2e-probe.py sink PORT GAP_MS
      UDP sink on PORT. Prints "ready", then "off T" when a flow of
      datagrams stops (T: wall-clock time of the last one, seen after
      GAP_MS of silence) and "on T" when it starts again (first one).
  e2e-probe.py stamp CMD...
      Runs CMD and copies its output, each line prefixed with the
      wall-clock time it was read (for `gobgp monitor`, which prints
      whole seconds); SIGTERM ends CMD too.
Times are time.time(), the clock `date +%s.%N` reads in the shell.
"""
import select
import signal
import socket
import subprocess
import sys
import time


def sink(port, gap):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind(("0.0.0.0", port))
    s.setblocking(False)
    print("ready", flush=True)
    flowing = False
    last = 0.0
    while True:
        r, _, _ = select.select([s], [], [], gap / 4)
        t = time.time()
        if r:
            while True:
                try:
                    s.recv(2048)
                except BlockingIOError:
                    break
                if not flowing:
                    print("on %.6f" % t, flush=True)
                    flowing = True
                last = time.time()
        elif flowing and t - last >= gap:
            print("off %.6f" % last, flush=True)
            flowing = False


def stamp(cmd):
    child = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)

    def stop(signum, frame):
        child.terminate()
        child.wait()
        sys.exit(0)
    signal.signal(signal.SIGTERM, stop)
    for line in child.stdout:
        sys.stdout.write("%.6f %s" % (time.time(), line))
        sys.stdout.flush()


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "sink":
        sink(int(sys.argv[2]), float(sys.argv[3]) / 1000)
    elif len(sys.argv) > 2 and sys.argv[1] == "stamp":
        stamp(sys.argv[2:])
    else:
        sys.exit(__doc__)
