#!/usr/bin/env python3
"""A DNS server that answers every question at once with "no such name" (NXDOMAIN).

bench/delivery.py points rspamd at it for the benchmark only: the build machines have no
DNS for the internet, and rspamd's network checks (SPF, DMARC, DNS block lists) would each
wait for their timeouts (5 s a message) instead of measuring the filter. "No such name" is
what those checks get for most legitimate mail, from a local caching resolver. Runs with the
container's python3 and standard library only.

    python3 nxdomain.py [PORT]
"""

import socket
import struct
import sys


def answer(query):
    """The query's header and question, flagged as an authoritative NXDOMAIN answer."""
    ident, flags, questions = struct.unpack("!HHH", query[:6])
    end = 12
    if questions:
        while query[end]:  # the name's labels, up to the empty one
            end += 1 + query[end]
        end += 5  # the empty label, then type and class
    # QR, the query's opcode and RD, AA, RA, and RCODE 3 (NXDOMAIN).
    reply_flags = 0x8000 | (flags & 0x7900) | 0x0400 | 0x0080 | 3
    return struct.pack("!HHHHHH", ident, reply_flags, min(questions, 1), 0, 0, 0) + query[12:end]


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 5353
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("127.0.0.1", port))
    while True:
        query, client = server.recvfrom(4096)
        try:
            server.sendto(answer(query), client)
        except (IndexError, struct.error):
            pass  # not a DNS query


if __name__ == "__main__":
    main()
