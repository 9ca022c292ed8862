#!/usr/bin/env python3
"""A tiny authoritative DNS responder for dotsd_resolve_test (stdlib only).

Binds UDP 127.0.0.1 on an ephemeral port, prints the port on stdout, and
answers from the ZONE table below until it is killed. Names it does not
know get NXDOMAIN; "slow.test" is never answered (timeouts);
"servfail.test" gets SERVFAIL; a known name without records of the asked
type gets an empty NOERROR answer (NODATA).
"""
import os
import socket
import struct

A, AAAA = 1, 28
ZONE = {
    "a.test": [(A, "198.18.0.1", 300), (A, "198.18.0.2", 60),
               (AAAA, "2001:db8::1", 120)],
    "v4.test": [(A, "198.18.1.1", 30)],
    "v6.test": [(AAAA, "2001:db8::6", 40)],
    "dup.test": [(A, "198.18.2.1", 10), (A, "198.18.2.1", 20)],
    "empty.test": [],
}


def qname(msg, off):
    labels = []
    while True:
        n = msg[off]
        off += 1
        if n == 0:
            return ".".join(labels), off
        labels.append(msg[off:off + n].decode("ascii", "replace"))
        off += n


def answer(msg):
    qid, flags, qd = struct.unpack("!HHH", msg[:6])
    name, off = qname(msg, 12)
    qtype, _qclass = struct.unpack("!HH", msg[off:off + 4])
    question = msg[12:off + 4]
    key = name.lower().rstrip(".")
    if key == "slow.test":
        return None
    rcode, rrs = 0, []
    if key == "servfail.test":
        rcode = 2
    elif key not in ZONE:
        rcode = 3
    else:
        for rtype, value, ttl in ZONE[key]:
            if rtype != qtype:
                continue
            fam = socket.AF_INET if rtype == A else socket.AF_INET6
            rdata = socket.inet_pton(fam, value)
            rrs.append(struct.pack("!HHHIH", 0xC00C, rtype, 1, ttl,
                                   len(rdata)) + rdata)
    rflags = 0x8000 | 0x0400 | (flags & 0x0100) | 0x0080 | rcode
    hdr = struct.pack("!HHHHHH", qid, rflags, 1, len(rrs), 0, 0)
    return hdr + question + b"".join(rrs)


def main():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    # One write, then close: the test reads up to the newline.
    os.write(1, b"%d\n" % s.getsockname()[1])
    os.close(1)
    while True:
        msg, peer = s.recvfrom(4096)
        try:
            reply = answer(msg)
        except (IndexError, struct.error):
            continue
        if reply is not None:
            s.sendto(reply, peer)


if __name__ == "__main__":
    main()
