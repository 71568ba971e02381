#!/usr/bin/env python3
"""Writes the fuzz seed corpus: valid ZMTP streams (and the foreign openings the greeting
must name), each behind the target's 3-byte prefix: selector, split, config.
Run from anywhere; rewrites tests/fuzz/corpus/."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus")


def greeting(mech=b"NULL", server=0, minor=1):
    return (b"\xff" + b"\0" * 7 + b"\x01\x7f" + bytes([3, minor]) + mech.ljust(20, b"\0")
            + bytes([server]) + b"\0" * 31)


def frame(body, flags=0):
    if len(body) > 255:
        return bytes([flags | 2]) + struct.pack(">Q", len(body)) + body
    return bytes([flags, len(body)]) + body


def frame_v1(body, flags=0):
    """ZMTP 1.0: the length counts the flags byte; 255 and up take 0xff + 8 bytes."""
    if len(body) + 1 >= 255:
        return b"\xff" + struct.pack(">Q", len(body) + 1) + bytes([flags]) + body
    return bytes([len(body) + 1, flags]) + body


SIGNATURE = b"\xff" + b"\0" * 7 + b"\x01\x7f"


def command(name, data=b""):
    return frame(bytes([len(name)]) + name + data, 4)


def prop(name, value):
    return bytes([len(name)]) + name + struct.pack(">I", len(value)) + value


def ready(stype, ident=None, name=b"READY"):
    md = prop(b"Socket-Type", stype)
    if ident is not None:
        md += prop(b"Identity", ident)
    return command(name, md)


SEL_GREETING, SEL_FRAMES, SEL_HANDSHAKE, SEL_PARSERS, SEL_CURVE_HS, SEL_CURVE_SEALED = 0, 1, 2, 3, 4, 5
# handshake config byte: socket type = cfg % 11, 0x10 PLAIN, 0x20 server, 0x40 right
# password, 0x80 extra properties
ROUTER, DEALER, SUB, PUB, REQ = 6, 5, 2, 1, 3
# CURVE handshake (selector 4): as above, 0x10 the codec is the server.
# CURVE sealed (selector 5): 0x01 the codec is the server, (cfg >> 1) & 7 what the peer
# breaks, 0x10 raw bodies; data: [md size][md] then [nonce step][inner flags][size LE 2][body]


def sealed_frame(body, inner=0, step=1):
    return bytes([step, inner]) + struct.pack("<H", len(body)) + body


def md_of(stype):
    md = prop(b"Socket-Type", stype)
    return bytes([len(md)]) + md

seeds = {
    "greeting-null-3.1": (SEL_GREETING, 0, 0, greeting()),
    "greeting-plain-server-3.0": (SEL_GREETING, 3, 0, greeting(b"PLAIN", 1, 0)),
    "greeting-http-get": (SEL_GREETING, 1, 0, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"),
    "greeting-tls": (SEL_GREETING, 2, 0, bytes.fromhex("160301005a010000560303")),
    "greeting-zmtp1.0": (SEL_GREETING, 1, 0, b"\x04\x00abc"),
    "greeting-zmtp2.0": (SEL_GREETING, 5, 0, b"\xff" + b"\0" * 7 + b"\x01\x7f\x01\x05\x00\x00"),
    "frames-messages": (SEL_FRAMES, 5, 0, frame(b"", 1) + frame(b"hello", 1) + frame(b"x" * 300)
                        + frame(b"\x01topic") + frame(b"\x00topic")),
    "frames-commands": (SEL_FRAMES, 3, 0, command(b"PING", b"\x00\x14") + command(b"PING", b"\x12\x34ctx")
                        + command(b"PONG", b"ctx") + command(b"SUBSCRIBE", b"topic")
                        + command(b"CANCEL", b"topic") + ready(b"DEALER", b"abc")
                        + command(b"ERROR", b"\x03400") + command(b"JOIN", b"g")),
    # libzmq 4.3.4's SUBSCRIBE for a 250-byte topic: no LONG bit, 8-byte size
    "frames-libzmq-4367": (SEL_FRAMES, 2, 0, b"\x04" + struct.pack(">Q", 260) + b"\x09SUBSCRIBE"
                           + b"k" * 250 + frame(b"after")),
    "frames-large-body": (SEL_FRAMES, 200, 0x01, frame(bytes(range(256)) * 6, 1) + frame(b"tail")),
    "frames-max-size": (SEL_FRAMES, 0, 0x10, frame(b"y" * 700) + frame(b"z" * 701)),
    # ZMTP 2.0 and 1.0 framings (frame decoder config bits 5-6: 1 = 1.0, 2 = 2.0)
    "frames-v2": (SEL_FRAMES, 3, 2 << 5, frame(b"", 1) + frame(b"ok") + frame(b"x" * 300, 1)),
    "frames-v1": (SEL_FRAMES, 2, 1 << 5, frame_v1(b"", 1) + frame_v1(b"ok") + frame_v1(b"y" * 300)
                  + SIGNATURE),
    # older peers: JeroMQ 0.3.6's 2.0 greeting, libzmq 3.x-style versioned 1.0, libzmq 2.x's
    # unversioned 1.0 (short and long identity), each with its first message
    "hs-v2-rep": (SEL_HANDSHAKE, 1, REQ, SIGNATURE + b"\x01\x04" + frame(b"") + frame(b"", 1)
                  + frame(b"ok")),
    "hs-v1-versioned": (SEL_HANDSHAKE, 0, REQ, SIGNATURE + b"\x00\x04" + frame_v1(b"")
                        + frame_v1(b"", 1) + frame_v1(b"ok")),
    "hs-v1-unversioned": (SEL_HANDSHAKE, 1, PUB, frame_v1(b"") + frame_v1(b"msg")),
    "hs-v1-unversioned-long-id": (SEL_HANDSHAKE, 0, ROUTER, b"\xff" + struct.pack(">Q", 4)
                                  + b"\x00abc" + frame_v1(b"x")),
    "hs-v2-plain-refused": (SEL_HANDSHAKE, 0, ROUTER | 0x30, SIGNATURE + b"\x01\x05" + frame(b"")),
    "hs-null-router": (SEL_HANDSHAKE, 0, ROUTER, greeting() + ready(b"DEALER", b"abc") + frame(b"msg")),
    "hs-null-sub-3.0": (SEL_HANDSHAKE, 7, SUB | 0x80, greeting(minor=0) + ready(b"PUB")),
    "hs-null-mismatch": (SEL_HANDSHAKE, 1, REQ, greeting() + ready(b"PUB")),
    "hs-plain-server": (SEL_HANDSHAKE, 4, ROUTER | 0x30, greeting(b"PLAIN")
                        + command(b"HELLO", b"\x05admin\x06secret") + ready(b"DEALER", b"", b"INITIATE")),
    "hs-plain-server-refuses": (SEL_HANDSHAKE, 0, ROUTER | 0x30, greeting(b"PLAIN")
                                + command(b"HELLO", b"\x01u\x01p")),
    "hs-plain-client": (SEL_HANDSHAKE, 9, DEALER | 0x50, greeting(b"PLAIN", 0)
                        + command(b"WELCOME") + ready(b"ROUTER", b"")),
    "hs-plain-client-libzmq-error": (SEL_HANDSHAKE, 0, DEALER | 0x10, greeting(b"PLAIN", 0)
                                     + frame(b"\x5eRROR\x03400", 4)),
    "parse-ready": (SEL_PARSERS, 0, 0, b"\x05READY" + prop(b"Socket-Type", b"ROUTER") + prop(b"X-A", b"\0\1")),
    "parse-hello": (SEL_PARSERS, 0, 0, b"\x05HELLO\x05admin\x06secret"),
    "parse-ping": (SEL_PARSERS, 0, 0, b"\x04PING\x00\x140123456789abcdef"),
    "parse-metadata": (SEL_PARSERS, 0, 0, prop(b"Socket-Type", b"SUB") + prop(b"Identity", b"")),
    # a CURVE server fed a HELLO of the right size whose box does not open
    "curve-hs-server-hello": (SEL_CURVE_HS, 3, ROUTER | 0x10, greeting(b"CURVE")
                              + command(b"HELLO", b"\x01\x00" + bytes(192))),
    "curve-hs-client-welcome": (SEL_CURVE_HS, 0, DEALER, greeting(b"CURVE", 1)
                                + command(b"WELCOME", bytes(160))),
    "curve-sealed-server": (SEL_CURVE_SEALED, 0, 0x01, md_of(b"DEALER") + sealed_frame(b"hello", 1)
                           + sealed_frame(b"x" * 300) + sealed_frame(b"\x04PING\x00\x14", 2)
                           + sealed_frame(b"\x09SUBSCRIBEtopic", 2) + sealed_frame(b"again", 0, 0)),
    "curve-sealed-client": (SEL_CURVE_SEALED, 5, 0x00, md_of(b"ROUTER") + sealed_frame(b"", 0, 3)
                           + sealed_frame(b"\x04PONG", 2) + sealed_frame(b"m", 3)),
    "curve-sealed-vouch": (SEL_CURVE_SEALED, 0, 0x01 | 3 << 1, md_of(b"DEALER")),
    "curve-sealed-raw": (SEL_CURVE_SEALED, 1, 0x11, md_of(b"DEALER")
                        + sealed_frame(b"\x07MESSAGE" + bytes(8) + bytes(17))),
}

os.makedirs(OUT, exist_ok=True)
for f in os.listdir(OUT):
    os.remove(os.path.join(OUT, f))
for name, (sel, split, cfg, stream) in seeds.items():
    with open(os.path.join(OUT, name), "wb") as fh:
        fh.write(bytes([sel, split, cfg]) + stream)
print(f"{len(seeds)} seeds in {OUT}")
