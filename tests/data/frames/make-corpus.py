#!/usr/bin/env python3
"""make-corpus.py: writes the bad-input corpus of tests/integration/
bad-frames.sh.

usage: make-corpus.py [--max-frame BYTES] OUTDIR

Each case is what one client connection sends to bbmirrord: usually a
hello, two good events (a buildsetSubmitted and a requestSubmitted, whose
rows the test looks for afterwards), then one bad input.  OUTDIR gets
NN-name.bin (the bytes to send, in order), for the cases that go on after
the bad input NN-name.after.bin (sent once the answer arrived), and
cases.json describing every case:

  name        short name (also in the file name)
  what        one line for humans
  master      the master name of the connection (one per case, so that
              the rows of each case can be counted apart)
  send        file to send
  hello       1 if the file starts with a valid hello (a welcome is due)
  good        how many good events follow the hello (seq 1..good)
  bad_seq     seq of the offending event, or null for a frame-level error
  expect      "error": an error frame, then the listener closes;
              "ack": bad_seq is acknowledged and the connection stays up
              (an unknown event name), then after is sent and acked;
              "close": the client half-closes after send; the listener
              must close (an error frame is allowed, not required)
  match       regular expressions (case-insensitive) the error message
              must all match: it must name the problem
  after       for "ack": file with one more good event (seq bad_seq + 1)

The cases are generated rather than committed as binary files: the
generator is the documentation of what each one holds.  The encoder is
msgpack_mini.py, next to this file.  --max-frame must be the value the
daemon runs with (the oversized case declares one byte more).
"""

import argparse
import json
import os
import struct
import sys

# No __pycache__ in the source tree when run from make check.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from msgpack_mini import Ext, Raw, frame, instance, pack  # noqa: E402

T0 = 1700000000.25
BUILDER = "corpus"


def hello(master, version=1, **extra):
    m = {"type": "hello", "version": version, "master": master,
         "client": "bad-frames"}
    m.update(extra)
    return m


def event(seq, name, **keys):
    t = T0 + seq if isinstance(seq, (int, float)) else T0
    m = {"type": "event", "seq": seq, "time": t, "event": name}
    m.update(keys)
    return m


def good_events(n):
    """n good events, seq 1..n: buildsets and build requests, plain maps
    that need no status object."""
    out = []
    for seq in range(1, n + 1):
        if seq % 2:
            out.append(event(seq, "buildsetSubmitted", buildset={
                "bsid": seq, "reason": "bad-frames good event %d" % seq,
                "external_idstring": None, "submitted_at": T0 + seq,
                "complete": False, "complete_at": None, "results": None,
                "properties": {"owner": ["corpus", "Force Build Form"]}}))
        else:
            out.append(event(seq, "requestSubmitted", request={
                "brid": seq, "builder": BUILDER, "submitted_at": T0 + seq,
                "bsid": seq - 1}))
    return out


def sourcestamp():
    return instance("buildbot.sourcestamp", "SourceStamp", {
        "branch": "master", "revision": "0123abcd", "patch": None,
        "changes": [], "project": "", "repository": "", "codebase": "",
        "buildbot.sourcestamp.SourceStamp.persistenceVersion": 3})


def build_status(number=0, reason="corpus build"):
    return instance("buildbot.status.build", "BuildStatus", {
        "number": number, "steps": [], "started": T0, "results": None,
        "text": [], "reason": reason, "blamelist": [], "slavename": "bot1",
        "changes": [], "sources": [sourcestamp()],
        "properties": instance("buildbot.process.properties", "Properties",
                               {"properties": {
                                   "buildername": [BUILDER, "Builder"]}}),
        "testResults": {},
        "buildbot.status.build.BuildStatus.persistenceVersion": 4})


def step_status(name="compile"):
    return instance("buildbot.status.buildstep", "BuildStepStatus", {
        "name": name, "started": T0 + 1, "text": [], "text2": [],
        "logs": [], "urls": {}, "statistics": {}, "step_number": 0,
        "hidden": False, "skipped": False,
        "buildbot.status.buildstep.BuildStepStatus.persistenceVersion": 4})


def build_ident(**over):
    k = {"builder": BUILDER, "number": 0, "started": T0}
    k.update(over)
    return k


def started(seq, **over):
    k = build_ident()
    k["build"] = build_status()
    k.update(over)
    return event(seq, "buildStarted", **k)


def chunk(seq, **over):
    k = build_ident(step=0, log=0, channel=0, text=b"hello\n")
    k.update(over)
    return event(seq, "logChunk", **k)


def invalid_utf8_str():
    return Raw(b"\xa4a\xff\xfeb")


def without(m, key):
    m = dict(m)
    del m[key]
    return m


def nested(depth):
    """depth nested one-element arrays around a nil, as raw msgpack."""
    return Raw(b"\x91" * depth + b"\xc0")


# Each case: name, what, body, expect, match, prefix, where body is a
# list of what is sent after the prefix: bytes (a payload, framed) or
# ("raw", bytes) (sent as they are, no header added); prefix is "full"
# (hello + 2 good events), "hello" (hello only) or "none".
GOOD = 2
BAD = GOOD + 1


def cases(max_frame):
    c = []

    def add(name, what, body, expect="error", match=(), prefix="full",
            bad_seq=None, after=None):
        c.append({"name": name, "what": what, "body": body,
                  "expect": expect, "match": list(match), "prefix": prefix,
                  "bad_seq": bad_seq, "after": after})

    # Framing.
    add("zero-length", "a frame whose length prefix is 0",
        [("raw", b"\0\0\0\0")], match=[r"length|empty"])
    add("oversized", "a length prefix one byte above --max-frame, no "
        "payload sent", [("raw", struct.pack(">I", max_frame + 1))],
        match=[r"exceed|maximum|too (large|big|long)|limit"])
    add("oversized-max", "a length prefix of 4 GiB - 1",
        [("raw", b"\xff\xff\xff\xff")],
        match=[r"exceed|maximum|too (large|big|long)|limit"])
    add("http-request", "an HTTP client talking to the socket (its first "
        "bytes read as a huge length)",
        [("raw", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")],
        match=[r"exceed|maximum|too (large|big|long)|limit"])
    add("truncated-payload", "a frame declaring 100 bytes, 10 sent, then "
        "the client half-closes", [("raw", b"\0\0\0\x64" + b"\x8a" + b"x" * 9)],
        expect="close")
    add("truncated-header", "2 bytes of a length prefix, then the client "
        "half-closes", [("raw", b"\0\0")], expect="close")

    # Payload is not one msgpack map with string keys.
    add("not-msgpack", "payload bytes that are no msgpack (0xc1 is "
        "never used)", [b"\xc1\xc1\xc1\xc1"], match=[r"msgpack|invalid|parse"])
    add("truncated-msgpack", "a map declaring 3 entries holding 1",
        [b"\x83\xa4type\xa5event"],
        match=[r"msgpack|truncat|incomplete|short|parse|end"])
    add("trailing-bytes", "a valid event map followed by one more byte "
        "in the same frame", [pack(event(BAD, "slaveConnected", slave="b1"))
                              + b"\xc0"],
        match=[r"trailing|extra|after|more than one|bytes"])
    add("array-envelope", "an array instead of a map",
        [pack(["event", BAD, "slaveConnected"])], match=[r"map"])
    add("str-envelope", "a string instead of a map", [pack("hello")],
        match=[r"map"])
    add("nil-envelope", "nil instead of a map", [pack(None)],
        match=[r"map"])
    add("int-keys", "a map with an integer key",
        [pack({"type": "event", 1: "x", "seq": BAD,
               "event": "slaveConnected", "slave": "b1"})],
        match=[r"key"])
    add("missing-type", "an event without \"type\"",
        [pack(without(event(BAD, "slaveConnected", slave="b1"), "type"))],
        match=[r"type"])
    add("unknown-type", "\"type\": \"bogus\"",
        [pack({"type": "bogus", "seq": BAD})], match=[r"type|bogus"])
    add("int-type", "\"type\" is an integer",
        [pack({"type": 7, "seq": BAD})], match=[r"type"])
    add("welcome-from-client", "a client sending a welcome (a listener "
        "message)", [pack({"type": "welcome", "version": 1,
                           "last_seq": 0})],
        match=[r"welcome|type|unexpected"])

    # The hello.
    add("event-before-hello", "an event as the first frame",
        [pack(event(1, "slaveConnected", slave="b1"))], prefix="none",
        match=[r"hello"])
    add("bad-version", "hello with protocol version 99",
        [pack(hello("@", version=99))], prefix="none",
        match=[r"version"])
    add("str-version", "hello with version \"1\"",
        [pack(hello("@", version="1"))], prefix="none",
        match=[r"version"])
    add("no-master", "hello without master",
        [pack(without(hello("@"), "master"))], prefix="none",
        match=[r"master"])
    add("empty-master", "hello with master \"\"",
        [pack(hello(""))], prefix="none", match=[r"master"])
    add("utf8-master", "hello whose master is invalid UTF-8",
        [pack(hello(invalid_utf8_str()))], prefix="none",
        match=[r"utf-?8"])
    add("second-hello", "a second hello after the welcome",
        [pack(hello("@"))], prefix="hello", match=[r"hello"])

    # The event envelope.
    add("str-seq", "\"seq\": \"3\"",
        [pack(event("3", "slaveConnected", slave="b1"))],
        match=[r"seq"])
    add("zero-seq", "\"seq\": 0", [pack(event(0, "slaveConnected",
                                                slave="b1"))],
        match=[r"seq"])
    add("negative-seq", "\"seq\": -3",
        [pack(event(-3, "slaveConnected", slave="b1"))], match=[r"seq"])
    add("float-seq", "\"seq\": 3.0",
        [pack(event(3.0, "slaveConnected", slave="b1"))], match=[r"seq"])
    add("missing-seq", "an event without seq",
        [pack(without(event(BAD, "slaveConnected", slave="b1"), "seq"))],
        match=[r"seq"])
    add("int-event", "\"event\": 5", [pack(event(BAD, 5, slave="b1"))],
        match=[r"event"])
    add("empty-event", "\"event\": \"\"", [pack(event(BAD, "",
                                                       slave="b1"))],
        match=[r"event"])
    add("utf8-event", "an event name that is invalid UTF-8",
        [pack(event(BAD, invalid_utf8_str(), slave="b1"))],
        match=[r"utf-?8"])
    add("str-time", "\"time\": \"now\"",
        [pack(dict(event(BAD, "slaveConnected", slave="b1"), time="now"))],
        match=[r"time"])

    # The keys of known events.
    add("int-builder", "buildStarted with builder 5",
        [pack(started(BAD, builder=5))], bad_seq=BAD, match=[r"builder"])
    add("missing-builder", "buildStarted without builder",
        [pack(without(started(BAD), "builder"))], bad_seq=BAD,
        match=[r"builder"])
    add("utf8-builder", "buildStarted whose builder is invalid UTF-8",
        [pack(started(BAD, builder=invalid_utf8_str()))], bad_seq=BAD,
        match=[r"utf-?8"])
    add("str-number", "buildStarted with number \"0\"",
        [pack(started(BAD, number="0"))], bad_seq=BAD, match=[r"number"])
    add("missing-number", "buildStarted without number",
        [pack(without(started(BAD), "number"))], bad_seq=BAD,
        match=[r"number"])
    add("str-started", "buildStarted with started \"yesterday\"",
        [pack(started(BAD, started="yesterday"))], bad_seq=BAD,
        match=[r"started"])
    add("str-build", "buildStarted whose build is a string",
        [pack(started(BAD, build="BuildStatus"))], bad_seq=BAD,
        match=[r"build"])
    add("utf8-in-status", "buildStarted whose BuildStatus reason is an "
        "invalid UTF-8 str", [pack(started(
            BAD, build=build_status(reason=invalid_utf8_str())))],
        bad_seq=BAD, match=[r"utf-?8"])
    add("str-step", "stepStarted with step \"0\"",
        [pack(event(BAD, "stepStarted", status=step_status(),
                    **build_ident(step="0")))], bad_seq=BAD,
        match=[r"step"])
    add("negative-step", "stepStarted with step -1",
        [pack(event(BAD, "stepStarted", status=step_status(),
                    **build_ident(step=-1)))], bad_seq=BAD,
        match=[r"step"])
    add("str-log", "logChunk with log \"stdio\"",
        [pack(chunk(BAD, log="stdio"))], bad_seq=BAD, match=[r"log"])
    add("str-channel", "logChunk with channel \"stdout\"",
        [pack(chunk(BAD, channel="stdout"))], bad_seq=BAD,
        match=[r"channel"])
    add("big-channel", "logChunk with channel 12",
        [pack(chunk(BAD, channel=12))], bad_seq=BAD, match=[r"channel"])
    add("negative-channel", "logChunk with channel -1",
        [pack(chunk(BAD, channel=-1))], bad_seq=BAD, match=[r"channel"])
    add("int-text", "logChunk with text 42",
        [pack(chunk(BAD, text=42))], bad_seq=BAD, match=[r"text"])
    add("map-text", "logChunk with text a map",
        [pack(chunk(BAD, text={"a": b"b"}))], bad_seq=BAD,
        match=[r"text"])
    add("missing-text", "logChunk without text",
        [pack(without(chunk(BAD), "text"))], bad_seq=BAD,
        match=[r"text"])
    add("int-state", "builderChangedState with state 3",
        [pack(event(BAD, "builderChangedState", builder=BUILDER,
                    state=3))], bad_seq=BAD, match=[r"state"])
    add("nil-slave", "slaveConnected with slave nil",
        [pack(event(BAD, "slaveConnected", slave=None))], bad_seq=BAD,
        match=[r"slave"])
    add("list-change", "changeAdded whose change is a list",
        [pack(event(BAD, "changeAdded", change=[1, 2]))], bad_seq=BAD,
        match=[r"change"])
    add("str-buildset", "buildsetSubmitted whose buildset is a string",
        [pack(event(BAD, "buildsetSubmitted", buildset="bs"))],
        bad_seq=BAD, match=[r"buildset"])
    add("str-request", "requestSubmitted whose request is a string",
        [pack(event(BAD, "requestSubmitted", request="br"))],
        bad_seq=BAD, match=[r"request"])

    # Depth and declared sizes.
    add("deep-nesting", "100 000 nested arrays inside a BuildStatus",
        [pack(started(BAD, build=instance(
            "buildbot.status.build", "BuildStatus",
            {"number": 0, "reason": nested(100000)})))],
        match=[r"nest|depth|deep|msgpack|parse|recursion"])
    add("deep-envelope", "100 000 nested arrays as an event key",
        [pack(event(BAD, "slaveConnected", slave="b1",
                    extra=nested(100000)))],
        match=[r"nest|depth|deep|msgpack|parse|recursion"])
    add("huge-array", "an array32 declaring 2^32-1 elements, none sent",
        [pack(event(BAD, "slaveConnected", slave="b1",
                    extra=Raw(b"\xdd\xff\xff\xff\xff")))],
        match=[r"msgpack|truncat|incomplete|parse|memory|size|large|end"])
    add("huge-map", "an envelope map32 declaring 2^32-1 entries",
        [b"\xdf\xff\xff\xff\xff\xa4type\xa5event"],
        match=[r"msgpack|truncat|incomplete|parse|memory|size|large|end"])
    add("huge-str", "a str32 declaring 4 GiB - 16 bytes",
        [pack({"type": "event", "seq": BAD, "event": "slaveConnected",
               "slave": Raw(b"\xdb\xff\xff\xff\xf0abc")})],
        match=[r"msgpack|truncat|incomplete|parse|memory|size|large|end"])
    add("huge-bin", "logChunk text a bin32 declaring 4 GiB - 16 bytes",
        [pack(chunk(BAD, text=Raw(b"\xc6\xff\xff\xff\xf0abc")))],
        match=[r"msgpack|truncat|incomplete|parse|memory|size|large|end"])
    add("huge-ext", "an ext32 declaring 4 GiB - 16 bytes as the build",
        [pack(started(BAD, build=Raw(b"\xc9\xff\xff\xff\xf0\x01abc")))],
        match=[r"msgpack|truncat|incomplete|parse|memory|size|large|end"])
    add("nested-huge-arrays", "30 nested array32 headers each declaring "
        "2^28 elements", [pack(event(BAD, "slaveConnected", slave="b1",
                                     extra=Raw(b"\xdd\x10\0\0\0" * 30)))],
        match=[r"msgpack|truncat|incomplete|parse|memory|size|large|end|"
               r"nest|depth"])
    add("bad-ext-instance", "a BuildStatus ext whose data is not an "
        "array", [pack(started(BAD, build=Ext(1, pack("BuildStatus"))))],
        bad_seq=BAD, match=[r"build|instance|ext"])

    # Not errors: unknown event names are acknowledged and skipped.
    add("unknown-event", "an event name this listener does not know",
        [pack(event(BAD, "someFutureEvent", builder=BUILDER))],
        expect="ack", bad_seq=BAD,
        after=event(BAD + 1, "slaveConnected", slave="b1"))
    add("unknown-event-odd-keys", "an unknown event whose keys have "
        "types no known event allows",
        [pack(event(BAD, "fooBarred", builder=5, number="x",
                    channel="y", text={"z": 1}))],
        expect="ack", bad_seq=BAD,
        after=event(BAD + 1, "slaveConnected", slave="b1"))
    return c


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--max-frame", type=int, default=1 << 20)
    ap.add_argument("outdir")
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    index = []
    for n, cs in enumerate(cases(a.max_frame), 1):
        master = "bad-%02d-%s" % (n, cs["name"])
        base = "%02d-%s" % (n, cs["name"])
        out = []
        good = 0
        if cs["prefix"] in ("full", "hello"):
            out.append(frame(hello(master)))
        if cs["prefix"] == "full":
            good = GOOD
            out.extend(frame(e) for e in good_events(GOOD))
        for f in cs["body"]:
            if isinstance(f, tuple):
                out.append(f[1])
            else:
                # A master "@" stands for the case's own master.
                out.append(frame(f.replace(b"\xa1@", pack(master))))
        data = b"".join(out)
        with open(os.path.join(a.outdir, base + ".bin"), "wb") as f:
            f.write(data)
        entry = {"name": cs["name"], "what": cs["what"], "master": master,
                 "send": base + ".bin",
                 "hello": 1 if cs["prefix"] in ("full", "hello") else 0,
                 "good": good, "bad_seq": cs["bad_seq"],
                 "expect": cs["expect"], "match": cs["match"],
                 "after": None}
        if cs["after"] is not None:
            entry["after"] = base + ".after.bin"
            with open(os.path.join(a.outdir, entry["after"]), "wb") as f:
                f.write(frame(cs["after"]))
        index.append(entry)
    with open(os.path.join(a.outdir, "cases.json"), "w") as f:
        json.dump(index, f, indent=1)
        f.write("\n")
    print("%d cases in %s" % (len(index), a.outdir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
