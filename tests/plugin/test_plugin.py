# -*- coding: utf-8 -*-
"""test_plugin.py: tests of plugin/bbmirror_status.py against the fake
0.8.12 master (fakemaster.py) and a fake listener (helpers.py). TAP on
stdout. Python 2.7 and 3; run directly or through
tests/integration/plugin-unit.sh.

Covered: the msgpack encoding of every kind of value (checked with a
decoder of our own), every event and its keys as a whole scenario produces
them, log text equal to the master's own log files, chunk splitting, spool
segments, acknowledgements, restarts, crash tails, a lost spool, the spool
bound and its log line, refused events, reconnection with backoff, TCP with
a token, deferred request and buildset details, reconfiguration, and
status objects that misbehave.
"""

import math
import os
import shutil
import struct
import sys
import tempfile

# No .pyc files in the source tree.
sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "plugin"))
sys.path.insert(0, HERE)

import bbmirror_status as bs  # noqa: E402
import fakemaster as fm  # noqa: E402
from helpers import (Tap, decode, read_recording, read_spool,  # noqa
                     spool_files, FakeListener, Inst, Glob, Long, Ext)

PY3 = sys.version_info[0] >= 3
t = Tap("py%d: " % sys.version_info[0])
TMP = tempfile.mkdtemp(prefix="bbm-plugin.")

PROTOCOL_EVENTS = {
    "builderAdded": ["builder", "status"],
    "builderChangedState": ["builder", "state"],
    "builderRemoved": ["builder"],
    "buildStarted": ["builder", "number", "started", "build"],
    "buildFinished": ["builder", "number", "started", "build", "results"],
    "buildETAUpdate": ["builder", "number", "started", "eta"],
    "stepStarted": ["builder", "number", "started", "step", "status"],
    "stepFinished": ["builder", "number", "started", "step", "status",
                     "results"],
    "stepTextChanged": ["builder", "number", "started", "step", "status",
                        "text"],
    "stepText2Changed": ["builder", "number", "started", "step", "status",
                         "text2"],
    "stepETAUpdate": ["builder", "number", "started", "step", "eta"],
    "logStarted": ["builder", "number", "started", "step", "log", "status"],
    "logChunk": ["builder", "number", "started", "step", "log", "channel",
                 "text"],
    "logFinished": ["builder", "number", "started", "step", "log", "status"],
    "requestSubmitted": ["request"],
    "requestCancelled": ["builder", "request"],
    "buildsetSubmitted": ["buildset"],
    "changeAdded": ["change"],
    "slaveConnected": ["slave"],
    "slaveDisconnected": ["slave"],
    "slavePaused": ["slave"],
    "slaveUnpaused": ["slave"],
}
ENVELOPE = ["type", "seq", "time", "event"]
if PY3:
    text_type = str
else:
    text_type = unicode     # noqa: F821


def tmpdir(name):
    d = os.path.join(TMP, name)
    if os.path.exists(d):
        shutil.rmtree(d)
    os.makedirs(d)
    return d


def enc(v, **kw):
    return bs.Packer(**kw).pack(v)


def dec(v, **kw):
    return decode(enc(v, **kw))


class Logs(list):
    def has(self, text):
        return [m for m in self if text in m]


def new_plugin(fmaster, spool, logs=None, clock=None, **kw):
    p = bs.MirrorStatus(spool_dir=spool, log=(logs if logs is not None
                                              else Logs()).append,
                        clock=clock or fmaster.clock.now,
                        poll_interval=0, **kw)
    return p


# ---------------------------------------------------------------------------

class OldStyle:
    def __init__(self):
        self.a = 1
        self.b = b"x"


class WithState:
    __module__ = "buildbot.test.fake"

    def __init__(self):
        self.keep = u"k"
        self.drop = object()

    def __getstate__(self):
        d = self.__dict__.copy()
        del d["drop"]
        return d


class NewStyle(object):
    pass


class Slots(object):
    __slots__ = ("x",)

    def __init__(self):
        self.x = 1

    def __repr__(self):
        return "<Slots x=1>"


class BadRepr(object):
    __slots__ = ()

    def __repr__(self):
        raise RuntimeError("no repr")


class BadState:
    def __getstate__(self):
        raise RuntimeError("no state")

    def __repr__(self):
        return "<BadState>"


class MyInt(int):
    pass


def some_function():
    pass


def test_encoder():
    # Exact encodings at every size boundary.
    cases = [
        (0, b"\x00"), (127, b"\x7f"), (128, b"\xcc\x80"), (255, b"\xcc\xff"),
        (256, b"\xcd\x01\x00"), (65535, b"\xcd\xff\xff"),
        (65536, b"\xce\x00\x01\x00\x00"),
        (2 ** 32 - 1, b"\xce\xff\xff\xff\xff"),
        (2 ** 32, b"\xcf\x00\x00\x00\x01\x00\x00\x00\x00"),
        (2 ** 63 - 1, b"\xcf\x7f" + b"\xff" * 7),
        (-1, b"\xff"), (-32, b"\xe0"), (-33, b"\xd0\xdf"),
        (-128, b"\xd0\x80"), (-129, b"\xd1\xff\x7f"),
        (-32768, b"\xd1\x80\x00"), (-32769, b"\xd2\xff\xff\x7f\xff"),
        (-2 ** 31, b"\xd2\x80\x00\x00\x00"),
        (-2 ** 31 - 1, b"\xd3\xff\xff\xff\xff\x7f\xff\xff\xff"),
        (-2 ** 63, b"\xd3\x80" + b"\x00" * 7),
        (None, b"\xc0"), (True, b"\xc3"), (False, b"\xc2"),
        (1.5, b"\xcb" + struct.pack(">d", 1.5)),
        (b"", b"\xc4\x00"), (u"", b"\xa0"),
        ([], b"\x90"), ((), b"\x90"), ({}, b"\x80"),
    ]
    for v, want in cases:
        t.is_(enc(v), want, "encodes %r exactly" % (v,))
    t.is_(dec(2 ** 63), Long("9223372036854775808"),
          "2**63 is ext 3 with its digits")
    t.is_(dec(-2 ** 63 - 1), Long("-9223372036854775809"),
          "-2**63-1 is ext 3 with its digits")
    t.is_(dec(10 ** 30), Long("1" + "0" * 30), "10**30 is ext 3")
    t.is_(dec(MyInt(7)), 7, "an int subclass is an int")
    t.is_(enc(True), b"\xc3", "bool is not sent as an int")
    for n, head in ((31, b"\xbf"), (32, b"\xd9\x20"), (255, b"\xd9\xff"),
                    (256, b"\xda\x01\x00"), (65535, b"\xda\xff\xff"),
                    (65536, b"\xdb\x00\x01\x00\x00")):
        s = u"a" * n
        e = enc(s)
        t.ok(e.startswith(head) and len(e) == len(head) + n and
             decode(e) == s, "unicode of %d chars: str header %r" % (n, head))
    for n, head in ((255, b"\xc4\xff"), (256, b"\xc5\x01\x00"),
                    (65536, b"\xc6\x00\x01\x00\x00")):
        e = enc(b"b" * n)
        t.ok(e.startswith(head) and decode(e) == b"b" * n,
             "bytes of %d: bin header %r" % (n, head))
    for n, head in ((15, b"\x9f"), (16, b"\xdc\x00\x10"),
                    (65536, b"\xdd\x00\x01\x00\x00")):
        e = enc(list(range(n)))
        t.ok(e.startswith(head) and decode(e) == list(range(n)),
             "list of %d: array header %r" % (n, head))
    for n, head in ((15, b"\x8f"), (16, b"\xde\x00\x10"),
                    (65536, b"\xdf\x00\x01\x00\x00")):
        d = dict((i, -i) for i in range(n))
        e = enc(d)
        t.ok(e.startswith(head) and decode(e) == d,
             "dict of %d: map header %r" % (n, head))
    for n in (1, 2, 4, 8, 16, 3, 17, 255, 256, 65535, 65536):
        out = bytearray()
        bs._pack_ext(out, 5, b"z" * n)
        t.is_(decode(bytes(out), raw_ext=True), Ext(5, b"z" * n),
              "ext of %d data bytes" % n)
    uni = u"Gr\u00fc\u00dfe \u65e5\u672c \U0001f680"
    t.is_(dec(uni), uni, "non-ASCII and astral unicode as UTF-8 str")
    t.is_(enc(uni)[:1], struct.pack(">B", 0xa0 | len(uni.encode("utf-8"))),
          "unicode is a msgpack str")
    t.is_(dec(b"\xff\xfe\x00"), b"\xff\xfe\x00", "bytes (py2 str) as bin")
    t.is_(dec(bytearray(b"ab")), b"ab", "bytearray as bin")
    t.is_(dec((1, [2, (3,)])), [1, [2, [3]]], "tuples are arrays")
    t.is_(sorted(dec(set([3, 1, 2]))), [1, 2, 3], "sets are arrays")
    t.is_(sorted(dec(frozenset([b"a"]))), [b"a"], "frozensets are arrays")
    t.is_(dec({(b"test", b"one"): 1}), {(b"test", b"one"): 1},
          "tuple keys (testResults) are array keys")
    t.is_(dec(-2.5e300), -2.5e300, "float64")
    t.ok(math.isnan(dec(float("nan"))), "nan")
    t.is_(dec(float("inf")), float("inf"), "inf")
    o = OldStyle()
    t.is_(dec(o), Inst(u"__main__" if __name__ == "__main__" else
                       OldStyle.__module__, u"OldStyle",
                       {u"a": 1, u"b": b"x"} if PY3 else
                       {b"a": 1, b"b": b"x"}),
          "an instance is ext 1 [module, class, __dict__]")
    w = dec(WithState())
    t.ok(isinstance(w, Inst) and w.module == u"buildbot.test.fake" and
         w.name == u"WithState" and list(w.state.values()) == [u"k"],
         "__getstate__ decides the state")
    n = NewStyle()
    n.v = [1]
    t.is_(dec(n).state, {u"v": [1]} if PY3 else {b"v": [1]},
          "new-style instance: its __dict__")
    t.is_(dec(Slots()), u"<Slots x=1>", "no __dict__: the repr as str")
    t.is_(dec(BadRepr()), u"<unrepresentable BadRepr>",
          "a failing repr does not raise")
    t.is_(dec(BadState()), u"<BadState>",
          "a failing __getstate__: the repr")
    t.is_(dec(OldStyle), Glob(OldStyle.__module__, u"OldStyle"),
          "a class is ext 2 [module, name]")
    t.is_(dec(some_function), Glob(some_function.__module__,
                                   u"some_function"),
          "a function is ext 2")
    t.is_(dec(len), Glob(u"builtins" if PY3 else u"__builtin__", u"len"),
          "a builtin function is ext 2")
    t.ok(dec(os).startswith(u"<module 'os'"), "a module: its repr")
    import datetime
    t.ok(dec(datetime.datetime(2020, 1, 2)).startswith(u"datetime."),
         "datetime: its repr")
    a = [1]
    a.append(a)
    t.is_(dec(a), [1, None], "a list containing itself: nil")
    d = {b"k": 1}
    d[b"me"] = d
    t.is_(dec(d), {b"k": 1, b"me": None}, "a dict containing itself: nil")
    o = OldStyle()
    o.me = o
    o.kids = [o, {b"up": o}]
    st = dec(o).state
    key = (lambda k: k if PY3 else k.encode("ascii"))
    t.ok(st[key(u"me")] is None and st[key(u"kids")] == [None,
                                                         {b"up": None}],
         "an instance referring to itself: nil at every depth")
    x = [7]
    t.is_(dec([x, x, (x,)]), [[7], [7], [[7]]],
          "a shared (not cyclic) value is sent each time")
    def nested(n, leaf):
        v = leaf
        for _ in range(n):
            v = [v]
        return v

    def depth_of(v):
        n = 0
        while isinstance(v, list) and v:
            v = v[0]
            n += 1
        return n, v
    t.is_(depth_of(dec(nested(100, 1))), (31, None),
          "lists nested 100 deep: 31 inside the envelope, then nil (32 "
          "arrays and maps per msgpack object)")
    t.is_(depth_of(dec(nested(31, 1))), (31, 1),
          "31 nested lists are sent whole")
    o = OldStyle()
    o.__dict__ = {b"deep": nested(40, 1)}
    inner = dec([o])[0].state[b"deep"]
    t.is_(depth_of(inner), (30, None),
          "inside an instance's state nesting counts from its ext data")
    chain = None
    for i in range(300):
        c = OldStyle()
        c.__dict__ = {b"next": chain}
        chain = c
    got = dec(chain)
    n = 0
    while isinstance(got, Inst):
        got = got.state[b"next"]
        n += 1
    t.is_((n, got), (bs.MAX_DEPTH // 2, None),
          "instances nested 300 deep: cut with nil after MAX_DEPTH "
          "containers (an instance and its state dict are two)")
    p = bs.Packer(max_nodes=10)
    got = decode(p.pack([[i] for i in range(20)]))
    t.ok(p.truncated and got[:9] == [[i] for i in range(9)] and
         got[9:] == [None] * 11, "more than max_nodes containers: nil")


def test_status_state():
    d = tmpdir("state")
    m = fm.FakeMaster(basedir=d, write_files=True)
    b = m.add_builder(b"b1", [b"s1"])
    s = b.newBuild()
    s.addStepWithName(b"compile")
    s.setSourceStamps([fm.SourceStamp(branch=u"trunk")])
    s.buildStarted(s)
    st = dec(s).state
    key = (lambda k: k if PY3 else k.encode("ascii"))
    t.ok(st[key(u"finished")] is None,
         "unfinished BuildStatus: finished nil (not __getstate__'s now)")
    t.ok(key(u"builder") not in st and key(u"watchers") not in st and
         st[key(u"buildbot.status.builder.BuildStatus.persistenceVersion")]
         == 4, "BuildStatus state is its __getstate__")
    bstate = dec(b)
    t.ok(not os.path.exists(os.path.join(b.basedir, "0")),
         "encoding a BuilderStatus does not save its running builds")
    names = set(k.decode() if isinstance(k, bytes) else k
                for k in bstate.state)
    t.is_(sorted(names),
          ["buildbot.status.builder.BuilderStatus.persistenceVersion",
           "description", "events", "lastBuildStatus", "name", "nextBuild",
           "slavenames", "tags", "watchers"],
          "BuilderStatus state: what 0.8.12's __getstate__ keeps")
    b.__getstate__()
    t.ok(os.path.exists(os.path.join(b.basedir, "0")),
         "(the fake's own BuilderStatus.__getstate__ does save them)")


# ---------------------------------------------------------------------------

def log_stream(chunks):
    """The master's file bytes for a sequence of (channel, text) calls:
    runs of one channel coalesced, cut at 10000."""
    out = []
    run = []
    runlen = [0]

    def merge():
        if not run:
            return
        ch = run[0][0]
        text = b"".join(x[1] for x in run)
        for i in range(0, len(text), 10000):
            piece = text[i:i + 10000]
            out.append(("%d:%d" % (len(piece) + 1, ch)).encode("ascii") +
                       piece + b",")
        del run[:]
        runlen[0] = 0
    for ch, text in chunks:
        if run and ch != run[0][0]:
            merge()
        run.append((ch, text))
        runlen[0] += len(text)
        if runlen[0] >= 10000:
            merge()
    merge()
    return b"".join(out)


def bkey(m):
    return (m["builder"], m["number"], m["started"])


def test_events():
    d = tmpdir("events")
    base = os.path.join(d, "master")
    spool = os.path.join(d, "spool")
    m = fm.FakeMaster(basedir=base, write_files=True)
    sc = fm.Scenario(m, seed=3, log_bytes=30000, big_every=2)
    sc.setup()
    logs = Logs()
    p = new_plugin(m, spool, logs)
    p.setServiceParent(m.status)
    sc.run(40)
    m.db.delay = True
    bsid, brids = m.submit([b"runtests"], u"delayed")
    before = p.spool.next_seq
    m.clock.advance(3)
    m.db.run_pending()
    after = p.spool.next_seq
    p.builderRemoved(b"deploy")
    brs = fm.BuildRequestStatus(b"package", brids[0], m.status)
    m.db.delay = False
    p.requestCancelled(m.builder(b"package"), brs)
    m.slave_disconnected(b"bot2")
    m.slave_paused(b"bot1")
    m.slave_unpaused(b"bot1")
    p.disownServiceParent()
    t.is_(m.errors, [], "the master saw no exception from the plugin")
    t.is_(p.problems, 0, "no problem reported")
    t.is_(after - before, 2, "deferred request and buildset details: both "
          "events sent once the database answered")
    msgs = read_spool(spool)
    t.is_(msgs[0], {"type": u"hello", "version": 1, "master": u"master",
                    "basedir": base, "client": u"bbmirror_status.py/1"},
          "the spool starts with a hello (no token)")
    events = [x for x in msgs if x["type"] == "event"]
    seqs = [e["seq"] for e in events]
    t.is_(seqs, list(range(1, len(events) + 1)),
          "sequence numbers from 1, contiguous")
    times = [e["time"] for e in events]
    t.ok(all(isinstance(x, float) for x in times) and
         times == sorted(times), "time: the master's clock at each call")
    names = set(e["event"] for e in events)
    t.is_(sorted(set(PROTOCOL_EVENTS) - names), [],
          "every event of protocol.h was produced")
    bad = []
    for e in events:
        want = set(ENVELOPE + PROTOCOL_EVENTS[e["event"]])
        got = set(e)
        if e["event"] == "logChunk" and "more" in got:
            got.discard("more")
        if got != want:
            bad.append((e["event"], sorted(got ^ want)))
    t.is_(bad[:3], [], "every event has exactly its keys")
    typed = []
    for e in events:
        for k in ("builder", "state", "slave"):
            if k in e and not isinstance(e[k], text_type):
                typed.append((e["seq"], k))
        for k in ("number", "step", "log", "channel"):
            if k in e and not (isinstance(e[k], int) and e[k] >= 0):
                typed.append((e["seq"], k))
        if "started" in e and not isinstance(e["started"], float):
            typed.append((e["seq"], "started"))
        if "text" in e and e["event"] == "logChunk" and \
                not isinstance(e["text"], bytes):
            typed.append((e["seq"], "text"))
    t.is_(typed, [], "builder/state/slave str, number/step/log/channel "
          "ints, started float, chunk text bin")
    # Class names.
    classes = {}
    for e in events:
        for k in ("status", "build", "change"):
            if k in e:
                v = e[k]
                classes.setdefault(e["event"], set()).add(
                    (v.module, v.name) if isinstance(v, Inst) else repr(v))
    t.is_(classes["builderAdded"], set([(u"buildbot.status.builder",
                                         u"BuilderStatus")]),
          "builderAdded status: BuilderStatus")
    t.is_(classes["buildStarted"] | classes["buildFinished"],
          set([(u"buildbot.status.builder", u"BuildStatus")]),
          "build events: BuildStatus")
    t.is_(classes["stepFinished"], set([(u"buildbot.status.builder",
                                         u"BuildStepStatus")]),
          "step events: BuildStepStatus")
    t.is_(classes["logStarted"], set([(u"buildbot.status.logfile",
                                       u"LogFile"),
                                      (u"buildbot.status.logfile",
                                       u"HTMLLogFile")]),
          "log events: LogFile and HTMLLogFile")
    t.is_(classes["changeAdded"], set([(u"buildbot.changes.changes",
                                        u"Change")]), "changeAdded: Change")

    def sget(st, k):
        return st.get(k, st.get(k.encode("ascii")))
    # Identity and indices against the finished builds.
    finished = {}
    for e in events:
        if e["event"] == "buildFinished":
            finished[bkey(e)] = e["build"].state
    wrong = []
    started_ok = True
    for e in events:
        if e["event"] in ("buildStarted", "buildFinished"):
            st = e["build"].state
            if sget(st, u"number") != e["number"] or \
                    sget(st, u"started") != e["started"]:
                started_ok = False
        if "step" not in e or bkey(e) not in finished:
            continue
        steps = sget(finished[bkey(e)], u"steps")
        step = steps[e["step"]].state
        if "status" in e and e["event"].startswith("step") and \
                sget(e["status"].state, u"name") != sget(step, u"name"):
            wrong.append(e["seq"])
        if "log" in e and "status" in e:
            lg = sget(step, u"logs")[e["log"]].state
            if sget(lg, u"filename") != sget(e["status"].state,
                                             u"filename"):
                wrong.append(e["seq"])
    t.ok(started_ok, "build identity: number and started match the build")
    t.is_(wrong, [], "step and log indices point at the right objects")
    states = [sget(e["build"].state, u"finished") for e in events
              if e["event"] == "buildStarted"]
    t.ok(states and all(x is None for x in states),
         "buildStarted: finished nil")
    res = [(e["results"], sget(e["build"].state, u"results")) for e in events
           if e["event"] == "buildFinished"]
    t.ok(res and all(a == b and isinstance(a, int) for a, b in res),
         "buildFinished: results int, as in the build")
    sres = [e["results"] for e in events if e["event"] == "stepFinished"]
    t.ok(all(isinstance(r, list) and len(r) == 2 for r in sres) and
         set(r[0] for r in sres) >= set([0, 1, 2, 3, 4, 5]),
         "stepFinished results [code, text2]; every code 0-5 seen")
    # Log text equals the master's log files.
    calls = {}
    order = []
    more_seen = []
    for e in events:
        if e["event"] == "logChunk":
            k = bkey(e) + (e["step"], e["log"])
            if k not in calls:
                calls[k] = []
                order.append(k)
            calls[k].append((e["channel"], e["text"], e.get("more")))
            if e.get("more"):
                more_seen.append(len(e["text"]))
    files = {}
    for e in events:
        if e["event"] == "logFinished":
            k = bkey(e) + (e["step"], e["log"])
            files[k] = sget(e["status"].state, u"filename")
    builddirs = dict((b.name.decode("utf-8"), b.basedir)
                     for b in m.builders.values())
    mismatch = []
    checked = 0
    for k, fn in files.items():
        joined = []
        for ch, text, more in calls.get(k, []):
            if joined and joined[-1][2]:
                joined[-1] = (ch, joined[-1][1] + text, more)
            else:
                joined.append((ch, text, more))
        want = open(os.path.join(builddirs[k[0]], fn.decode("ascii")),
                    "rb").read()
        got = log_stream([(c, x) for c, x, _ in joined])
        checked += 1
        if got != want:
            mismatch.append(fn)
    t.ok(checked > 100 and not mismatch,
         "the text of all %d logs rebuilt from logChunk equals the master's "
         "files" % checked)
    t.ok(more_seen and all(n == bs.CHUNK_SPLIT for n in more_seen),
         "a master call over 1 MB arrived split at PROTOCOL_CHUNK_SPLIT")
    html = [e for e in events if e["event"] == "logStarted" and
            e["status"].name == u"HTMLLogFile"]
    hk = bkey(html[0]) + (html[0]["step"], html[0]["log"])
    t.ok(html and calls.get(hk) and
         all(c == 1 for c, _, _ in calls[hk]) and
         b"<html>" in calls[hk][0][1],
         "an 0.8.9+ HTML log's content is sent as channel-1 chunks")
    # Requests and buildsets.
    reqs = [e["request"] for e in events if e["event"] == "requestSubmitted"]
    good = [r for r in reqs if m.db.requests[r["brid"]]["bsid"] == r["bsid"]
            and m.db.requests[r["brid"]]["submitted_at"] ==
            r["submitted_at"] and
            m.db.requests[r["brid"]]["buildername"].decode("utf-8") ==
            r["builder"]]
    t.ok(reqs and len(good) == len(reqs),
         "requestSubmitted: brid, builder, submitted_at, bsid as in the db")
    sets = [e["buildset"] for e in events
            if e["event"] == "buildsetSubmitted"]
    row = m.db.buildsets_rows[1]
    t.is_(sets[0], {"bsid": 1, "reason": row["reason"],
                    "external_idstring": None,
                    "submitted_at": fm.epoch2datetime(m.clock.now()) and
                    sets[0]["submitted_at"],
                    "complete": False, "complete_at": None, "results": -1,
                    "properties": {u"scheduler": [u"all", u"Scheduler"]}},
          "buildsetSubmitted: the bsdict and its properties")
    delayed = [e for e in events if e["event"] == "buildsetSubmitted" and
               e["buildset"]["bsid"] == bsid][0]
    t.ok(delayed["time"] < delayed["buildset"]["submitted_at"] + 1 and
         delayed["time"] == m.db.requests[brids[0]]["submitted_at"],
         "a deferred event keeps the time of the master's call")
    canc = [e for e in events if e["event"] == "requestCancelled"][0]
    t.is_((canc["builder"], canc["request"]["brid"]), (u"package", brids[0]),
          "requestCancelled: builder name and request")
    slave = [(e["event"], e["slave"]) for e in events
             if e["event"].startswith("slave")]
    t.ok((u"slaveConnected", u"bot1") in slave and
         (u"slaveDisconnected", u"bot2") in slave and
         (u"slavePaused", u"bot1") in slave, "slave events name the slave")
    t.is_([e["builder"] for e in events if e["event"] == "builderRemoved"],
          [u"deploy"], "builderRemoved names the builder")
    states = set(e["state"] for e in events
                 if e["event"] == "builderChangedState")
    t.is_(states, set([u"offline", u"idle", u"building"]),
          "builder states offline, idle, building")
    t.ok(read_recording(os.path.join(spool, spool_files(spool)[0])),
         "the segment decodes as a recording")


def test_chunk_split():
    d = tmpdir("split")
    m = fm.FakeMaster(keep_text=True)
    b = m.add_builder(b"big", [b"s"])
    p = new_plugin(m, os.path.join(d, "spool"))
    p.setServiceParent(m.status)
    s = b.newBuild()
    st = s.addStepWithName(b"gen")
    s.buildStarted(s)
    st.stepStarted()
    log = st.addLog(b"stdio")
    text = b"".join(struct.pack(">I", i) for i in range(625000)) + b"!"
    first = p.spool.next_seq
    log.addStdout(text)
    log.addEntry(1, u"caf\u00e9")
    ev = [x for x in read_spool(p.spool.dir) if x.get("seq", 0) >= first]
    t.is_([(len(e["text"]), e.get("more")) for e in ev],
          [(1000000, True), (1000000, True), (500001, None), (5, None)],
          "2500001 bytes: 1000000 + 1000000 (more) + 500001; then a "
          "small chunk")
    t.is_(b"".join(e["text"] for e in ev[:3]), text,
          "the pieces join to the text")
    t.ok(len(set(e["time"] for e in ev[:3])) == 1 and
         [e["seq"] for e in ev] == list(range(first, first + 4)),
         "pieces: one call time, consecutive seqs")
    t.is_(ev[3]["text"], u"caf\u00e9".encode("utf-8"),
          "unicode log text is sent UTF-8 encoded")
    # A 0.8.8-and-older HTMLLogFile holds its document in `html`.
    old = OldHTMLLogFile(b"err.html", b"1-log-gen-err.html",
                         b"<html>old</html>")
    st.logs.append(old)
    first = p.spool.next_seq
    p.logStarted(s, st, old)
    p.logFinished(s, st, old)
    ev = [x for x in read_spool(p.spool.dir) if x.get("seq", 0) >= first]
    t.is_([(e["event"], e["log"]) for e in ev],
          [(u"logStarted", 1), (u"logFinished", 1)],
          "an HTMLLogFile with its html inline: no chunks")
    st1 = ev[1]["status"].state
    t.is_(st1.get(u"html", st1.get(b"html")), b"<html>old</html>",
          "its html travels in the status")
    p.disownServiceParent()


class OldHTMLLogFile:
    def __init__(self, name, filename, html):
        self.__dict__ = {b"name": name, b"filename": filename,
                         b"html": html} if not PY3 else \
            {"name": name, "filename": filename, "html": html}


OldHTMLLogFile.__name__ = "HTMLLogFile"
OldHTMLLogFile.__module__ = "buildbot.status.builder"


# ---------------------------------------------------------------------------

def drive(plugin, listener, clock=None, rounds=50, dt=0.0):
    for _ in range(rounds):
        if clock is not None and dt:
            clock.advance(dt)
        plugin.poll()
        if listener is not None:
            listener.poll()


def run_with(sc, n, plugin, listener):
    """n builds, the listener answering between the master's actions."""
    for _ in sc.steps(n):
        plugin.poll()
        listener.poll()


def small_master():
    m = fm.FakeMaster(keep_text=True)
    sc = fm.Scenario(m, seed=5, log_bytes=4000, big_every=0, html=False)
    sc.setup()
    return m, sc


def test_spool():
    d = tmpdir("spool")
    spool = os.path.join(d, "spool")
    sock = os.path.join(d, "l.sock")
    m, sc = small_master()
    logs = Logs()
    p = new_plugin(m, spool, logs, socket=sock)
    p.setServiceParent(m.status)
    p.spool.segment_max = 20000
    sc.run(6)
    n = p.spool.next_seq - 1
    names = spool_files(spool)
    t.ok(len(names) >= 5, "small segments: %d files" % len(names))
    firsts = []
    ok_each = True
    for name in names:
        msgs = read_recording(os.path.join(spool, name))
        ok_each = ok_each and msgs[0]["type"] == "hello" and \
            all(x["type"] == "event" for x in msgs[1:])
        evs = [x["seq"] for x in msgs[1:]]
        firsts.append((int(name[:16]), evs[0] if evs else None))
    t.ok(ok_each, "each segment is a hello then events")
    t.ok(all(a == b for a, b in firsts if b is not None),
         "a segment is named by its first seq (16 digits)")
    allseq = [x["seq"] for x in read_spool(spool) if x["type"] == "event"]
    t.is_(allseq, list(range(1, n + 1)),
          "the segments in order hold every event once")
    # The listener comes up having committed up to k.
    k = 40
    L = FakeListener(sock, last_seq=k)
    drive(p, L, m.clock, rounds=80, dt=1.0)
    t.is_([e["seq"] for e in L.events], list(range(k + 1, n + 1)),
          "after welcome(last_seq=%d) events %d..%d are sent, in order"
          % (k, k + 1, n))
    t.is_(p.spool.acked, n, "every event acknowledged")
    names = spool_files(spool)
    t.is_(len(names), 1, "acknowledged segments deleted, the current one "
          "kept")
    # More events while connected, then a restart of the plugin with some
    # events unacknowledged.
    L.ack = False
    sc.run(2)
    drive(p, L, rounds=20)
    n2 = p.spool.next_seq - 1
    L.commit(n + 10)
    drive(p, L, rounds=5)
    t.ok(p.spool.acked == n + 10 and len(L.pending) == n2 - n - 10,
         "acks move only as far as the listener committed")
    L.drop_connections()
    p.disownServiceParent()
    t.ok(len(spool_files(spool)) >= 1, "unacknowledged events stay spooled")
    logs2 = Logs()
    p2 = new_plugin(m, spool, logs2, socket=sock)
    p2.setServiceParent(m.status)
    t.is_(p2.spool.next_seq, n2 + 1 + len(m.builder_names) * 2,
          "after a restart numbering continues (the re-announced builders "
          "got %d..)" % (n2 + 1))
    L.ack = True
    drive(p2, L, m.clock, rounds=40, dt=1.0)
    got = [e["seq"] for e in L.events]
    t.is_(got, list(range(k + 1, p2.spool.next_seq)),
          "the unacknowledged events were resent once, then the new ones")
    t.ok(len(L.received) == len(set(x["seq"] for x in L.received)) +
         (n2 - n - 10), "only the uncommitted events went twice on the wire")
    p2.disownServiceParent()
    # A crash in the middle of a write leaves half a frame.
    last = os.path.join(spool, spool_files(spool)[-1])
    with open(last, "ab") as f:
        f.write(struct.pack(">I", 500) + b"\x8a\xa4type")
    logs3 = Logs()
    p3 = new_plugin(m, spool, logs3)
    p3.setServiceParent(m.status)
    t.ok(logs3.has("dropping 10 bytes of an incomplete or bad frame"),
         "a partial frame at the end is cut and logged")
    t.is_(read_recording(last)[-1]["seq"], p3.spool.next_seq - 1,
          "the cut segment is a valid recording again, appended to")
    p3.disownServiceParent()
    # A spool holding no event still remembers the numbering (its name).
    d2 = tmpdir("spool-name")
    with open(os.path.join(d2, "0000000000000500.spool"), "wb") as f:
        f.write(bs.hello_frame("m", "/b"))
    p4 = new_plugin(m, d2)
    p4.setServiceParent(m.status)
    t.is_(min(x["seq"] for x in read_spool(d2) if x["type"] == "event"), 500,
          "an empty segment's name gives the next seq")
    p4.disownServiceParent()
    # Spool lost: the listener is ahead.
    d3 = tmpdir("spool-lost")
    L2 = FakeListener(os.path.join(d3, "l.sock"), last_seq=1000)
    logs5 = Logs()
    p5 = new_plugin(m, os.path.join(d3, "spool"), logs5,
                    socket=os.path.join(d3, "l.sock"))
    p5.setServiceParent(m.status)
    k5 = p5.spool.next_seq - 1
    drive(p5, L2, m.clock, rounds=20, dt=1.0)
    t.is_([e["seq"] for e in L2.events], list(range(1001, 1001 + k5)),
          "listener ahead of the spool: events renumbered from last_seq+1")
    t.ok(logs5.has("bbmirrord has events up to 1000, the spool only up to "
                   "%d (spool lost?): continuing from 1001" % k5),
         "and that is logged")
    sc2 = fm.Scenario(m, seed=9, log_bytes=100, big_every=0, html=False)
    sc2.started = True
    sc2.outcomes = sc.outcomes
    sc2.run(1)
    drive(p5, L2, m.clock, rounds=20)
    t.is_([e["seq"] for e in L2.events], list(range(1001, p5.spool.next_seq)),
          "new events continue after the renumbered ones")
    p5.disownServiceParent()
    L2.close()
    L.close()


def test_spool_bound():
    d = tmpdir("bound")
    spool = os.path.join(d, "spool")
    m = fm.FakeMaster(keep_text=True)
    b = m.add_builder(b"b", [b"s"])
    logs = Logs()
    p = new_plugin(m, spool, logs, spool_max_bytes=40000)
    p.setServiceParent(m.status)
    s = b.newBuild()
    st = s.addStepWithName(b"x")
    s.buildStarted(s)
    st.stepStarted()
    log = st.addLog(b"stdio")
    for i in range(80):
        log.addStdout(b"%05d" % i * 200 if PY3 else ("%05d" % i) * 200)
    seq0 = p.spool.next_seq
    total = p.spool.total
    spooled = [x for x in read_spool(spool) if x["type"] == "event"]
    chunks = [x for x in spooled if x["event"] == "logChunk"]
    line = ("bbmirror: spool full (%d bytes in %s): dropping events from "
            "seq %d; run bbmirror-import later to backfill" %
            (total, spool, seq0))
    t.ok(total <= 40000 and len(chunks) < 80, "the spool stays under "
         "spool_max_bytes (%d bytes, %d of 80 chunks)" % (total,
                                                           len(chunks)))
    t.is_(logs.has("spool full"), [line], "one log line at the first drop")
    t.is_(p.spool.dropped, 80 - len(chunks), "every further event dropped")
    for i in range(1000):
        log.addStdout(b"y" * 1000)
    full = logs.has("spool full")
    t.is_(len(full), 2, "logged again after 1000 drops")
    t.is_(p.spool.next_seq, seq0, "dropped events use no sequence numbers")
    p.spool.ack(seq0 - 1)
    log.addStdout(b"room")
    last = [x for x in read_spool(spool) if x["type"] == "event"][-1]
    t.is_((last["seq"], last["text"]), (seq0, b"room"),
          "once acknowledged space is freed, events are kept again from "
          "seq %d" % seq0)
    t.ok(logs.has("spool has room again: %d events were dropped from seq %d"
                  % (80 - len(chunks) + 1000, seq0)),
         "and the number dropped is logged")
    p.disownServiceParent()


def test_refused():
    d = tmpdir("refused")
    sock = os.path.join(d, "l.sock")
    m, sc = small_master()
    L = FakeListener(sock)
    L.refuse[7] = "event 7 (stepFinished): key \"step\": bad"
    logs = Logs()
    p = new_plugin(m, os.path.join(d, "spool"), logs, socket=sock)
    p.setServiceParent(m.status)
    run_with(sc, 2, p, L)
    drive(p, L, m.clock, rounds=60, dt=1.0)
    n = p.spool.next_seq - 1
    t.is_([e["seq"] for e in L.events], [x for x in range(1, n + 1)
                                          if x != 7],
          "an event the listener refused is dropped, the others arrive")
    t.is_(len([x for x in L.received if x["seq"] == 7]), 1,
          "the refused event is never sent again")
    t.ok(logs.has("bbmirrord refused event 7: event 7 (stepFinished): key "
                  "\"step\": bad; dropping it"), "the refusal is logged")
    t.is_(L.accepts, 2, "the plugin reconnected after the error")
    t.ok(7 not in [x["seq"] for x in read_spool(p.spool.dir)
                   if x["type"] == "event"], "the spool lost event 7")
    p.disownServiceParent()
    L.close()


def test_reconnect():
    d = tmpdir("reconnect")
    sock = os.path.join(d, "l.sock")
    m, sc = small_master()
    clock = fm.Clock(5000.0)
    logs = Logs()
    p = new_plugin(m, os.path.join(d, "spool"), logs, clock=clock.now,
                   socket=sock)
    p.setServiceParent(m.status)
    link = p.link
    t.is_(link.attempts, 1, "first attempt at start")
    t.ok(logs.has("cannot connect"), "failure logged")
    seen = []
    last = link.attempts
    for i in range(1, 1400):
        clock.t = 5000.0 + i * 0.1
        p.poll()
        if link.attempts != last:
            seen.append(round(clock.t - 5000.0, 1))
            last = link.attempts
    gaps = [round(b - a, 1) for a, b in zip([0.0] + seen, seen)]
    t.is_(gaps[:9], [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0],
          "retries after 0.5 s doubling to 30 s")
    t.is_(len(logs.has("cannot connect")), 1,
          "a failure that repeats is logged once")
    sc.run(2)
    n = p.spool.next_seq - 1
    L = FakeListener(sock)
    for i in range(400):
        clock.advance(0.1)
        p.poll()
        L.poll()
    t.is_([e["seq"] for e in L.events], list(range(1, n + 1)),
          "events spooled while the listener was away all arrive")
    t.ok(logs.has("connected to bbmirrord at %s" % sock),
         "the connection is logged")
    L.drop_connections()
    clock.advance(0.1)
    p.poll()
    a = link.attempts
    clock.advance(0.3)
    p.poll()
    b1 = link.attempts
    clock.advance(0.3)
    p.poll()
    L.poll()
    t.ok(b1 == a and link.attempts == a + 1,
         "after a good connection the backoff is 0.5 s again")
    sc.run(1)
    for i in range(50):
        clock.advance(0.1)
        p.poll()
        L.poll()
    t.is_([e["seq"] for e in L.events], list(range(1, p.spool.next_seq)),
          "nothing lost or repeated across the listener crash")
    p.disownServiceParent()
    L.close()
    # No welcome: give up after the handshake timeout.
    L3 = FakeListener(sock)
    L3.welcome = False
    logs3 = Logs()
    clock3 = fm.Clock(100.0)
    p3 = new_plugin(m, os.path.join(d, "spool3"), logs3, clock=clock3.now,
                    socket=sock)
    p3.setServiceParent(m.status)
    for i in range(400):
        clock3.advance(0.1)
        p3.poll()
        L3.poll()
    t.ok(logs3.has("no welcome from bbmirrord") and not L3.events,
         "no welcome within 30 s: reconnect, send nothing")
    p3.disownServiceParent()
    L3.close()


def test_tcp():
    d = tmpdir("tcp")
    m, sc = small_master()
    L = FakeListener(tcp=True)
    p = new_plugin(m, os.path.join(d, "spool"), tcp=L.address,
                   token="s3cret", master="prod")
    p.setServiceParent(m.status)
    run_with(sc, 1, p, L)
    drive(p, L, m.clock, rounds=40, dt=1.0)
    t.is_((L.hellos[0]["token"], L.hellos[0]["master"]), (u"s3cret", u"prod"),
          "TCP: the hello carries the token and the master name")
    t.is_(len(L.events), p.spool.next_seq - 1, "TCP: every event arrives")
    t.ok("token" not in read_spool(p.spool.dir)[0],
         "the token is not written into the spool")
    p.disownServiceParent()
    L.close()
    try:
        bs.MirrorStatus(tcp="nohostport")
        t.ok(False, "tcp without a port is refused")
    except ValueError:
        t.ok(True, "tcp without a port is refused")


class Boom(object):
    def __getattr__(self, name):
        raise RuntimeError("boom: %s" % name)


class BadBuild:
    def getBuilder(self):
        raise RuntimeError("no builder")


def test_misbehaving():
    d = tmpdir("bad")
    m, sc = small_master()
    logs = Logs()
    p = new_plugin(m, os.path.join(d, "spool"), logs)
    p.setServiceParent(m.status)
    sc.run(1)
    good = sc.done_builds[0]
    step = good.getSteps()[0]
    stranger = fm.BuildStepStatus(good, m, 99)
    stranger.name = b"stranger"
    results = []
    results.append(p.buildStarted(b"x", BadBuild()))
    results.append(p.buildStarted(b"x", Boom()))
    results.append(p.stepStarted(good, stranger))
    results.append(p.logStarted(good, step, object()))
    results.append(p.builderAdded(b"odd", BadState()))
    t.ok(all(r is p for r in results),
         "callbacks that subscribe still return the receiver on errors")
    none = [p.logChunk(Boom(), step, None, 0, b"x"),
            p.stepFinished(None, None, None),
            p.buildFinished(b"x", BadBuild(), 0),
            p.changeAdded(BadRepr()),
            p.requestSubmitted(object()),
            p.buildsetSubmitted(None),
            p.slaveConnected(None),
            p.stepETAUpdate(good, step, "soon", None),
            p.logChunk(good, step, step.getLogs()[0], 0, 12345)]
    t.ok(all(r is None for r in none), "other callbacks return None")
    t.ok(p.problems >= 5 and logs.has("error in buildStarted") and
         logs.has("Traceback"), "errors are logged with a traceback")
    evs = [x for x in read_spool(p.spool.dir) if x["type"] == "event"]
    tail = dict((e["event"], e) for e in evs[-6:])
    t.is_(tail["changeAdded"]["change"], u"<unrepresentable BadRepr>",
          "an unrepresentable change is sent as a placeholder")
    t.ok("requestSubmitted" not in tail and
         logs.has("build request None without a builder name"),
         "a request without a builder name is not sent (the listener "
         "would refuse it)")
    t.is_(tail["logChunk"]["text"], b"12345", "non-bytes text as its str")
    t.is_(tail["stepETAUpdate"]["eta"], None, "a bad ETA is nil")
    t.is_(evs[-9]["status"] if evs[-9]["event"] == "builderAdded" else
          [e for e in evs if e["event"] == "builderAdded"][-1]["status"],
          u"<BadState>", "a status whose __getstate__ raises: its repr")
    # The spool cannot be written: nothing raises, the failure is logged.

    class Full(object):
        def write(self, data):
            raise IOError(28, "No space left on device")

        def flush(self):
            pass

        def close(self):
            pass
    p.spool._file = Full()
    seq = p.spool.next_seq
    r = p.slaveConnected(b"late")
    t.ok(r is None and logs.has("cannot write the spool") and
         p.spool.next_seq == seq, "a failing spool write drops the event "
         "and is logged")
    p.slaveConnected(b"later")
    evs = [x for x in read_spool(p.spool.dir) if x["type"] == "event"]
    t.is_((evs[-1]["seq"], evs[-1]["slave"]), (seq, u"later"),
          "the spool recovers at the next event")
    p.disownServiceParent()
    n = p.spool.next_seq
    t.is_((p.slaveConnected(b"x"), p.builderAdded(b"y", None)), (None, None),
          "after stopService callbacks do nothing and return None")
    t.is_(p.spool.next_seq, n, "and send nothing")
    t.is_(m.errors, [], "nothing reached the master")


def test_service():
    d = tmpdir("service")
    m, sc = small_master()
    # Reconfiguration as 0.8.12 does it: the old receiver is removed and a
    # new one added, sharing the spool.
    spool = os.path.join(d, "spool")
    p1 = new_plugin(m, spool)
    p1.setServiceParent(m.status)
    sc.run(1)
    n1 = p1.spool.next_seq
    p1.disownServiceParent()
    t.ok(p1 not in m.status.watchers and p1 not in m.status.services,
         "disownServiceParent unsubscribes")
    p2 = new_plugin(m, spool)
    p2.setServiceParent(m.status)
    sc.run(1)
    ev = [x for x in read_spool(spool) if x["type"] == "event"]
    t.is_([e["seq"] for e in ev], list(range(1, p2.spool.next_seq)),
          "a reconfigured receiver continues the numbering")
    t.is_([e["event"] for e in ev if e["seq"] == n1], [u"builderAdded"],
          "and announces the builders again")
    p2.disownServiceParent()

    class Errors(object):
        def __init__(self):
            self.errors = []

        def addError(self, msg):
            self.errors.append(msg)
    a = bs.MirrorStatus(socket="/x")
    b = bs.MirrorStatus(socket="/y")
    c = bs.MirrorStatus(socket="/y", spool_dir="other")
    e = Errors()
    a.checkConfig([a, b, c], e)
    t.is_(len(e.errors), 1, "checkConfig: two receivers with one spool "
          "directory is an error")
    e = Errors()
    c.checkConfig([a, c], e)
    t.is_(e.errors, [], "checkConfig: distinct spool directories are fine")
    p = new_plugin(m, os.path.join(d, "eta"), build_eta=5)
    p.setServiceParent(m.status)
    sc.run(1)
    t.ok([x for x in read_spool(p.spool.dir)
          if x.get("event") == "buildETAUpdate"],
         "build_eta subscribes to buildETAUpdate")
    p.disownServiceParent()
    t.is_(p.master_name, u"master" if not PY3 else "master",
          "the default master name is the basedir's last component")


def norm(v, active=None, state=False):
    """A comparable form of a value decoded from msgpack (Inst) or loaded
    from a pickle (fake instances): instances as (module, name, state) with
    attribute names as bytes, sequences as lists, sets sorted, a reference
    back to an enclosing container as None."""
    if active is None:
        active = set()
    if isinstance(v, Inst):
        return ("inst", v.module, v.name, norm(v.state, active, True))
    if id(v) in active:
        return None
    if isinstance(v, (list, tuple, set, frozenset, dict)) or \
            hasattr(v, "__dict__"):
        active = active | set([id(v)])
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            if state and isinstance(k, text_type):
                k = k.encode("utf-8")
            out[norm(k, active) if not isinstance(k, tuple) else k] = \
                norm(x, active)
        return out
    if isinstance(v, (set, frozenset)):
        return sorted([norm(x, active) for x in v], key=repr)
    if isinstance(v, (list, tuple)):
        return [norm(x, active) for x in v]
    if hasattr(v, "__dict__") and not isinstance(v, type):
        cls = v.__class__
        return ("inst", text_type(cls.__module__), text_type(cls.__name__),
                norm(v.__dict__, active, True))
    return v


def test_pickle_state():
    import pickle
    d = tmpdir("pickle")
    fm.register_modules()
    m = fm.FakeMaster(basedir=os.path.join(d, "master"), write_files=True)
    sc = fm.Scenario(m, seed=11, log_bytes=3000, big_every=0)
    sc.setup()
    p = new_plugin(m, os.path.join(d, "spool"))
    p.setServiceParent(m.status)
    sc.run(6)
    evs = [x for x in read_spool(p.spool.dir)
           if x.get("event") == "buildFinished"]
    same = 0
    for e in evs:
        b = m.builders[e["builder"].encode("utf-8")]
        with open(os.path.join(b.basedir, "%d" % e["number"]), "rb") as f:
            data = f.read()
        loaded = pickle.loads(data, encoding="bytes") if PY3 else \
            pickle.loads(data)
        if norm(e["build"]) == norm(loaded):
            same += 1
        elif same == 0:
            t.diag("live:   %r" % (norm(e["build"]),))
            t.diag("pickle: %r" % (norm(loaded),))
    t.ok(evs and same == len(evs), "buildFinished sends exactly the state "
         "the build pickle holds (%d of %d builds)" % (same, len(evs)))
    b = m.builders[m.builder_names[0]]
    live = dec(b)
    data = fm.dump_pickle(b)
    loaded = pickle.loads(data, encoding="bytes") if PY3 else \
        pickle.loads(data)
    t.is_(norm(live), norm(loaded), "a BuilderStatus is sent as its "
          "pickle holds it")
    if not PY3:
        std = pickle.loads(pickle.dumps(sc.done_builds[-1], 2))
        t.is_(norm(std), norm(pickle.loads(
            fm.dump_pickle(sc.done_builds[-1]))),
              "dump_pickle writes what Python 2's pickle writes")
    p.disownServiceParent()


class FakeMultiService:
    """An old-style twisted MultiService, as in the Twisted of 0.8."""
    running = 0
    parent = None

    def __init__(self):
        self.calls = []

    def setServiceParent(self, parent):
        self.parent = parent
        parent.addService(self)

    def disownServiceParent(self):
        d = self.parent.removeService(self)
        self.parent = None
        return d

    def startService(self):
        self.calls.append("start")
        self.running = 1

    def stopService(self):
        self.calls.append("stop")
        self.running = 0
        return "deferred"


def load_plugin_with_buildbot():
    """The plugin module loaded again with buildbot.status.base
    importable (a fake StatusReceiverMultiService)."""
    import types
    names = ["buildbot", "buildbot.status", "buildbot.status.base"]
    saved = dict((n, sys.modules.get(n)) for n in names)
    base = types.ModuleType("buildbot.status.base")

    class StatusReceiverMultiService(FakeMultiService):
        pass
    base.StatusReceiverMultiService = StatusReceiverMultiService
    sys.modules["buildbot"] = types.ModuleType("buildbot")
    sys.modules["buildbot.status"] = types.ModuleType("buildbot.status")
    sys.modules["buildbot.status.base"] = base
    path = os.path.join(HERE, "..", "..", "plugin", "bbmirror_status.py")
    try:
        if PY3:
            import importlib.util
            spec = importlib.util.spec_from_file_location("bbm_with_bb",
                                                          path)
            mod = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
        else:
            import imp
            mod = imp.load_source("bbm_with_bb", path)
    finally:
        for n, v in saved.items():
            if v is None:
                sys.modules.pop(n, None)
            else:
                sys.modules[n] = v
    return mod, StatusReceiverMultiService


def test_buildbot_base():
    d = tmpdir("bbbase")
    mod, base = load_plugin_with_buildbot()
    m, sc = small_master()
    p = mod.MirrorStatus(spool_dir=os.path.join(d, "spool"),
                         clock=m.clock.now, log=Logs().append,
                         poll_interval=0)
    t.ok(isinstance(p, base), "with Buildbot importable MirrorStatus is a "
         "StatusReceiverMultiService")
    p.setServiceParent(m.status)
    sc.run(1)
    t.ok(p.calls == ["start"] and p.running and p in m.status.watchers,
         "startService chains to the base class and subscribes")
    r = p.disownServiceParent()
    t.ok(p.calls == ["start", "stop"] and r == "deferred" and
         p not in m.status.watchers,
         "stopService chains to the base class (its Deferred returned)")
    t.ok(len([x for x in read_spool(p.spool.dir)
              if x["type"] == "event"]) > 50, "and the events were spooled")


def test_bad_acks():
    d = tmpdir("badack")
    sock = os.path.join(d, "l.sock")
    m, sc = small_master()
    L = FakeListener(sock, ack=False)
    logs = Logs()
    p = new_plugin(m, os.path.join(d, "spool"), logs, socket=sock)
    p.setServiceParent(m.status)
    drive(p, L, m.clock, rounds=5, dt=1.0)
    run_with(sc, 1, p, L)
    drive(p, L, rounds=5)
    n = p.spool.next_seq - 1
    L.commit(n + 1000)
    drive(p, L, rounds=5)
    t.is_(p.spool.acked, n, "an ack beyond what was sent counts only up to "
          "the last event sent")
    L.drop_connections()
    L.last_seq = 3
    drive(p, L, m.clock, rounds=10, dt=1.0)
    t.ok(logs.has("bbmirrord has events up to 3 only, but had acknowledged "
                  "up to %d" % n),
         "a listener that lost acknowledged events is reported")
    p.disownServiceParent()
    L.close()


def main():
    tests = [test_encoder, test_status_state, test_events, test_chunk_split,
             test_spool, test_spool_bound, test_refused, test_reconnect,
             test_tcp, test_misbehaving, test_service, test_buildbot_base,
             test_bad_acks, test_pickle_state]
    try:
        for fn in tests:
            try:
                fn()
            except Exception:
                import traceback
                t.ok(False, "%s ran to the end" % fn.__name__)
                t.diag(traceback.format_exc())
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
