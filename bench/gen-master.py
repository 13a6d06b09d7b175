#!/usr/bin/env python3
"""gen-master.py: write synthetic Buildbot 0.7/0.8 master base directories.

usage: gen-master.py [--version 0.7.5|0.7.12|0.8.2|0.8.7] [--builders N]
           [--builds M] [--steps K] [--log-bytes B]
           [--compress none|bz2|gz|mixed] [--irregular all|none|KIND,...]
           [--seed S] [--jobs J] [--manifest FILE] OUTDIR

OUTDIR (created; it must not exist or be empty) receives a master base
directory in the on-disk format of the chosen Buildbot version, as described
in shared/spec/legacy-status.md sections 1-3: one directory per builder with
a `builder` pickle, build pickles `<N>` and log files
`<N>-log-<step>-<log>[.bz2|.gz]`, plus `changes.pck` (0.7.x, protocol 0) or
`state.sqlite` (0.8.x: version table 6 for 0.8.2, migrate_version 22 for
0.8.7).  Every byte is a function of the options other than --jobs, OUTDIR
and --manifest, so two runs with the same seed give identical trees (file
mtimes included: they are set to the simulated times).

Options
  --version V     0.7.5, 0.7.12, 0.8.2 (default) or 0.8.7
  --builders N    builder directories (default 4)
  --builds M      pickled builds per builder (default 20)
  --steps K       steps in each builder's factory: between max(1,K-2) and K+3,
                  chosen per builder (default 5, hence 3-8 steps)
  --log-bytes B   mean uncompressed log bytes of one build, all its logs
                  together (default 30000); builds vary log-normally and the
                  volume goes mostly to compile/test steps
  --compress C    none: every log raw.  bz2, gz: every non-empty log
                  compressed (logCompressionLimit 0).  mixed (default from
                  0.7.12): logs over 4096 bytes compressed, as with the
                  default logCompressionLimit; bz2, and on odd-numbered
                  builders gz for the second half of the builds.  0.7.5
                  predates log compression and accepts only none (its
                  default); gz needs 0.7.12+.
  --irregular I   which irregularities to plant (default all; see below)
  --seed S        integer seed (default 1)
  --jobs J        worker processes (default: number of CPUs)
  --manifest F    write the JSON manifest (below) to F

What a builder looks like
  Names contain spaces and punctuation; the directory is safeTranslate(name)
  (0.7.12+) or an explicit builddir (0.7.5, one of them nested).  Each
  builder has a fixed factory (git/svn first, then steps such as compile,
  test, shell, shell_1 ...).  Build results are mostly SUCCESS, with
  WARNINGS (compile step with a `warnings` log), FAILURE, EXCEPTION
  (`err.text` plus, from 0.7.12, an inline HTMLLogFile `err.html`; or an
  `interrupt` log) and RETRY (0.8.x, `interrupt` log, text
  "failed slave lost", sometimes with the contradicting build text "build
  successful"); after EXCEPTION/RETRY and most FAILUREs the remaining steps
  never start.  A builder with more builds than there are such cases has
  each of them at least once. 0.8.x builds also have SKIPPED upload steps.
  Properties include buildername, buildnumber, slavename, branch, revision,
  got_revision, scheduler, and for 0.7.12+ force builds a list value
  (owners); 0.8.x force builds carry unicode-named properties (owner,
  reason).  Builds carry 0-3 Changes with UTF-8 authors; a few "try" builds
  carry a patch.  Log chunk streams follow the master's LogFile writer:
  header chunk (channel 2) with the command line and environment, stdout
  and stderr runs coalesced and cut at 10000 bytes, and a trailer with
  "program finished with exit code N" and elapsedTime.

Irregularities (--irregular KIND,...; each goes to about one builder in nine,
rotating so that every kind is present whenever there are builds)
  gap        a run of 2-5 missing build numbers
  tmp        a truncated `<N>.tmp` next to pickle N, and a `builder.tmp`
  bz2tmp     a log kept raw with a complete `<name>.bz2.tmp` (.gz.tmp) beside
  dup        a compressed log whose raw file is still present (unlink pending)
  pruned     the logs of the oldest build, and one more log, deleted
  crashed    build max+1 has log files but no pickle (one complete, compressed
             when large; the last one a zero-byte raw file); 0.8.x: its DB
             row has finish_time NULL
  empty      a pickled build with a zero-byte raw log (`test.log`, length 0)
  nobuilder  no `builder` pickle (master killed without a clean shutdown)
  collide    steps "unit test" and "unit_test" in one factory, so the second
             log file name gets the `_0` suffix

Pickle fidelity
  `builder` and `<N>` files are what Python 2.7's cPickle.dump(obj, f, -1)
  wrote: PROTO 2; old-style instances as MARK GLOBAL OBJ then BUILD of the
  state dict; DeferredLock (0.8.7) as GLOBAL EMPTY_TUPLE NEWOBJ + BUILD;
  `__builtin__ set` REDUCE for Properties.runtime (0.8.2+); memo indices from
  1 with BINPUT/LONG_BINPUT and BINGET/LONG_BINGET; str as SHORT_BINSTRING or
  BINSTRING and unicode as BINUNICODE; BININT1/BININT2/BININT, BINFLOAT,
  NEWTRUE/NEWFALSE, NONE, EMPTY_TUPLE/TUPLE1-3/MARK TUPLE; one item as
  APPEND/SETITEM, more as MARK ... APPENDS/SETITEMS in batches of 1000.
  Memoisation follows cPickle's reference-count rule: non-empty lists and
  dicts, instances and globals always; str/unicode of length >= 2, empty
  containers and tuples only when another reference existed (attribute
  names, shared values), never the `persistenceVersion` keys of 0.8.x (fresh
  strings; 0.7.x memoised them).  Objects are shared through the memo as in
  real files: one Change in both BuildStatus.changes and SourceStamp.changes
  (0.7.5: the very same list), StepProgress.buildProgress pointing back to
  the enclosing BuildProgress, one `links` list shared by all Changes of a
  0.7.x pickle.  changes.pck is protocol 0 text: MARK INST, DICT/LIST,
  PUT/GET, S'...' with Python 2 repr escapes (\\xNN for non-ASCII bytes),
  floats as %.17g.  Dict key order is a fixed plausible order, not Python 2
  hash order.

MANIFEST FORMAT (format "bbmirror-gen-manifest", format_version 1)
  One JSON object; keys are stable, new keys may be added.  Strings are the
  generator's text (pickled str values are their UTF-8 encoding).  Times are
  epoch floats exactly as pickled; absent values are null.
  {
   "format": "bbmirror-gen-manifest", "format_version": 1,
   "options": {"version", "builders", "builds", "steps", "log_bytes",
               "compress", "irregular": [kinds], "seed"},
   "totals": {
     "builders", "builds" (pickled builds), "steps" (their steps),
     "logs" (LogFiles and HTMLLogFiles referenced by build pickles),
     "logs_on_disk" (of those, the ones with a file), "changes", "log_bytes"
     (uncompressed chunk-stream bytes of the logs on disk), "log_text_bytes"
     (their payload bytes),
     "incomplete_builds", "incomplete_log_bytes"},
   "builders": [{
     "name", "builddir" (relative to OUTDIR), "builder_pickle" (bool),
     "events" (count, null without builder pickle),
     "event_list": [{"started", "finished", "text": [..]}],
     "slavenames": [..], "category",
     "irregularities": [{"kind", ...details}],
     "ignored_files": [file names a reader must skip: *.tmp],
     "builds": [{
       "number", "file" (pickle name), "started", "finished", "results",
       "text": [..], "reason", "slave", "blamelist": [..],
       "properties": [{"name", "value" (JSON value), "source"}] sorted by
         name (0.7.5 plain dicts get source "Upgrade from previous version",
         the normalisation of spec 2.6),
       "changes": [change numbers, in BuildStatus.changes order],
       "sourcestamps": [{"branch", "revision", "repository", "project",
         "codebase", "patch": null | {"level", "bytes", "sha256"},
         "changes": [numbers]}],
       "requests": [{"brid", "buildsetid"}] (0.8.x; several when merged),
       "steps": [{
         "number" (index), "name", "results", "started", "finished",
         "text": [..], "text2": [..], "skipped" (bool),
         "logs": [{
           "name", "filename" (as pickled), "length" (as pickled; null for
             an HTMLLogFile),
           "file": "raw" | "bz2" | "gz" | "missing" (what a reader following
             the spec's .bz2, .gz, raw order must use) | "inline" (an
             HTMLLogFile `err.html`: no file, the document is the pickle's
             `html`; the stream figures below describe it as one channel-1
             chunk, as spec 2.6 says to treat it),
           "path": file name in the builder dir or null,
           "stream_bytes": uncompressed chunk-stream size,
           "channels": {"0": n, "1": n, "2": n} payload bytes,
           "text_bytes": sum of channels,
           "lines": newlines in channels 0 and 1,
           "sha256": hex digest of the uncompressed chunk stream}]
           (stream_bytes .. sha256 are null when "file" is "missing")}]}],
     "incomplete_builds": [{"number", "started", "logs": [same log objects,
       "filename" as it would be pickled, "length" null]}]}],
   "changes": [{"number", "author", "comments", "files": [..], "is_dir",
     "branch", "revision", "revlink", "category", "repository", "project",
     "codebase", "when", "properties": [{"name", "value", "source"}]}],
   "db": null (0.7.x) | {"schema": "version 6" | "migrate_version 22",
     "buildsets", "buildrequests", "builds_rows", "changes"}
  }
"""

import argparse
import base64
import bz2
import gzip
import hashlib
import io
import json
import math
import multiprocessing
import os
import random
import re
import sqlite3
import struct
import sys

MANIFEST_FORMAT = "bbmirror-gen-manifest"
MANIFEST_VERSION = 1

SUCCESS, WARNINGS, FAILURE, SKIPPED, EXCEPTION, RETRY = range(6)

IRREGULARITIES = ("gap", "tmp", "bz2tmp", "dup", "pruned", "crashed", "empty",
                  "nobuilder", "collide")

CHUNK_SIZE = 10000          # LogFile.chunkSize
FAKE_BASEDIR = "/home/buildbot/master"
SLAVE_BASE = "/home/buildbot/slave"


# ---------------------------------------------------------------------------
# Pickle emitter, written from the opcode definitions (pickletools' table)
# and from what cPickle 2.7 emits; CPython's pickle.py cannot produce old-style
# OBJ/INST instances, so the generator has its own.

class Inst(object):
    """Old-style instance: MARK GLOBAL OBJ (proto 2) or MARK INST (proto 0),
    then BUILD with the state dict."""
    __slots__ = ("module", "name", "state")

    def __init__(self, module, name, state):
        self.module = module
        self.name = name
        self.state = state


class NewObj(Inst):
    """New-style instance (twisted DeferredLock): GLOBAL EMPTY_TUPLE NEWOBJ,
    then BUILD."""
    __slots__ = ()


class PySet(object):
    """A Python 2 set: GLOBAL __builtin__ set, (list,) REDUCE."""
    __slots__ = ("items",)

    def __init__(self, items):
        self.items = list(items)


class Fresh(object):
    """A value nothing else referenced when cPickle met it (reference count
    1): never memoised, never fetched from the memo."""
    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


class Shared(object):
    """A tuple something else also referenced: memoised like cPickle does
    for objects with a reference count of 2 or more."""
    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


_PUT1 = [b"q" + bytes((i,)) for i in range(256)]
_GET1 = [b"h" + bytes((i,)) for i in range(256)]
_BININT1 = [b"K" + bytes((i,)) for i in range(256)]
_TUPLE_N = (b")", b"\x85", b"\x86", b"\x87")
BATCHSIZE = 1000


class Pickler2(object):
    """Protocol 2 as cPickle.dump(obj, f, -1) wrote it (see module doc)."""

    def __init__(self):
        self.w = bytearray()
        self.n = 0
        self.vmemo = {}
        self.imemo = {}
        self.gmemo = {}

    def dumps(self, obj):
        self.w += b"\x80\x02"
        self.save(obj)
        self.w += b"."
        return bytes(self.w)

    def put(self):
        self.n += 1
        if self.n < 256:
            self.w += _PUT1[self.n]
        else:
            self.w += b"r" + struct.pack("<I", self.n)
        return self.n

    def get(self, idx):
        if idx < 256:
            self.w += _GET1[idx]
        else:
            self.w += b"j" + struct.pack("<I", idx)

    def save(self, obj):
        self.dispatch[type(obj)](self, obj)

    def save_none(self, obj):
        self.w += b"N"

    def save_bool(self, obj):
        self.w += b"\x88" if obj else b"\x89"

    def save_int(self, v):
        if 0 <= v < 256:
            self.w += _BININT1[v]
        elif 0 <= v < 65536:
            self.w += b"M" + struct.pack("<H", v)
        elif -2 ** 31 <= v < 2 ** 31:
            self.w += b"J" + struct.pack("<i", v)
        else:
            # cPickle on LP64: a C long too wide for BININT goes out as text.
            self.w += b"I%d\n" % v

    def save_float(self, v):
        self.w += b"G" + struct.pack(">d", v)

    def write_bytes(self, s):
        n = len(s)
        if n < 256:
            self.w += b"U" + bytes((n,)) + s
        else:
            self.w += b"T" + struct.pack("<I", n) + s

    def write_unicode(self, s):
        d = s.encode("utf-8", "surrogatepass")
        self.w += b"X" + struct.pack("<I", len(d)) + d

    def save_bytes(self, s):
        n = len(s)
        if n >= 2:
            idx = self.vmemo.get(s)
            if idx is not None:
                self.w += _GET1[idx] if idx < 256 else \
                    b"j" + struct.pack("<I", idx)
                return
        if n < 256:
            self.w += b"U" + bytes((n,)) + s
        else:
            self.w += b"T" + struct.pack("<I", n) + s
        if n >= 2:
            self.vmemo[s] = self.put()

    def save_unicode(self, s):
        if len(s) >= 2:
            idx = self.vmemo.get(s)
            if idx is not None:
                self.get(idx)
                return
            self.write_unicode(s)
            self.vmemo[s] = self.put()
        else:
            self.write_unicode(s)

    def write_tuple(self, t):
        n = len(t)
        if n == 0:
            self.w += b")"
            return
        if n <= 3:
            for x in t:
                self.save(x)
            self.w += _TUPLE_N[n]
        else:
            self.w += b"("
            for x in t:
                self.save(x)
            self.w += b"t"

    def save_tuple(self, t):
        self.write_tuple(t)

    def save_shared(self, sh):
        idx = self.imemo.get(id(sh))
        if idx is not None:
            self.get(idx)
            return
        self.write_tuple(sh.value)
        self.imemo[id(sh)] = self.put()

    def write_list(self, lst, memo):
        self.w += b"]"
        if memo:
            self.imemo[id(lst)] = self.put()
        n = len(lst)
        if n == 1:
            self.save(lst[0])
            self.w += b"a"
        elif n > 1:
            dispatch = self.dispatch
            for i in range(0, n, BATCHSIZE):
                self.w += b"("
                for x in lst[i:i + BATCHSIZE]:
                    dispatch[type(x)](self, x)
                self.w += b"e"

    def save_list(self, lst):
        idx = self.imemo.get(id(lst))
        if idx is not None:
            self.get(idx)
            return
        self.write_list(lst, True)

    def write_dict(self, d, memo):
        self.w += b"}"
        if memo:
            self.imemo[id(d)] = self.put()
        n = len(d)
        if n == 1:
            for k, v in d.items():
                self.save(k)
                self.save(v)
            self.w += b"s"
        elif n > 1:
            dispatch = self.dispatch
            items = list(d.items())
            for i in range(0, n, BATCHSIZE):
                self.w += b"("
                for k, v in items[i:i + BATCHSIZE]:
                    dispatch[type(k)](self, k)
                    dispatch[type(v)](self, v)
                self.w += b"u"

    def save_dict(self, d):
        idx = self.imemo.get(id(d))
        if idx is not None:
            self.get(idx)
            return
        self.write_dict(d, True)

    def save_fresh(self, f):
        v = f.value
        t = type(v)
        if t is bytes:
            self.write_bytes(v)
        elif t is str:
            self.write_unicode(v)
        elif t is list:
            self.write_list(v, len(v) > 0)
        elif t is dict:
            self.write_dict(v, len(v) > 0)
        else:
            self.save(v)

    def save_global(self, module, name):
        key = (module, name)
        idx = self.gmemo.get(key)
        if idx is not None:
            self.get(idx)
            return
        self.w += b"c" + module + b"\n" + name + b"\n"
        self.gmemo[key] = self.put()

    def save_inst(self, o):
        idx = self.imemo.get(id(o))
        if idx is not None:
            self.get(idx)
            return
        self.w += b"("
        self.save_global(o.module, o.name)
        self.w += b"o"
        self.imemo[id(o)] = self.put()
        self.save(o.state)
        self.w += b"b"

    def save_newobj(self, o):
        idx = self.imemo.get(id(o))
        if idx is not None:
            self.get(idx)
            return
        self.save_global(o.module, o.name)
        self.w += b")\x81"
        self.imemo[id(o)] = self.put()
        self.save(o.state)
        self.w += b"b"

    def save_set(self, o):
        idx = self.imemo.get(id(o))
        if idx is not None:
            self.get(idx)
            return
        self.save_global(b"__builtin__", b"set")
        # The argument list is a temporary (list(self)): memoised only when
        # non-empty, and nothing can refer to it again.
        self.write_list(o.items, len(o.items) > 0)
        self.w += b"\x85R"
        self.imemo[id(o)] = self.put()

    dispatch = {
        type(None): save_none, bool: save_bool, int: save_int,
        float: save_float, bytes: save_bytes, str: save_unicode,
        tuple: save_tuple, list: save_list, dict: save_dict,
        Inst: save_inst, NewObj: save_newobj, PySet: save_set,
        Fresh: save_fresh, Shared: save_shared,
    }


def py2_str_repr(s):
    """repr() of a Python 2 str: the payload of a protocol 0 STRING."""
    quote = 0x27
    if b"'" in s and b'"' not in s:
        quote = 0x22
    out = bytearray((quote,))
    for c in s:
        if c == quote or c == 0x5c:
            out += bytes((0x5c, c))
        elif c == 0x09:
            out += b"\\t"
        elif c == 0x0a:
            out += b"\\n"
        elif c == 0x0d:
            out += b"\\r"
        elif c < 0x20 or c >= 0x7f:
            out += b"\\x%02x" % c
        else:
            out.append(c)
    out.append(quote)
    return bytes(out)


def py2_raw_unicode_escape(s):
    """cPickle's protocol 0 UNICODE payload: raw-unicode-escape that also
    escapes backslash and newline."""
    out = bytearray()
    for ch in s:
        c = ord(ch)
        if c >= 0x10000:
            out += b"\\U%08x" % c
        elif c >= 0x100 or ch in "\\\n":
            out += b"\\u%04x" % c
        else:
            out.append(c)
    return bytes(out)


class Pickler0(object):
    """Protocol 0 text as cPickle.dump(obj, f) wrote it (changes.pck)."""

    def __init__(self, float_format):
        self.w = bytearray()
        self.n = 0
        self.vmemo = {}
        self.imemo = {}
        self.float_format = float_format

    def dumps(self, obj):
        self.save(obj)
        self.w += b"."
        return bytes(self.w)

    def put(self):
        self.n += 1
        self.w += b"p%d\n" % self.n
        return self.n

    def get(self, idx):
        self.w += b"g%d\n" % idx

    def save(self, obj):
        t = type(obj)
        if obj is None:
            self.w += b"N"
        elif t is bool:
            self.w += b"I01\n" if obj else b"I00\n"
        elif t is int:
            self.w += b"I%d\n" % obj
        elif t is float:
            self.w += b"F" + (self.float_format % obj).encode() + b"\n"
        elif t is bytes or t is str:
            self.save_string(obj, True)
        elif t is Fresh:
            v = obj.value
            if type(v) in (bytes, str):
                self.save_string(v, False)
            elif type(v) is list:
                self.write_list(v, len(v) > 0)
            elif type(v) is dict:
                self.write_dict(v, len(v) > 0)
            else:
                self.save(v)
        elif t is tuple:
            self.write_tuple(obj)
        elif t is Shared:
            idx = self.imemo.get(id(obj))
            if idx is not None:
                self.get(idx)
                return
            self.write_tuple(obj.value)
            self.imemo[id(obj)] = self.put()
        elif t is list or t is dict or t is Inst:
            idx = self.imemo.get(id(obj))
            if idx is not None:
                self.get(idx)
                return
            if t is list:
                self.write_list(obj, True)
            elif t is dict:
                self.write_dict(obj, True)
            else:
                self.w += b"(i" + obj.module + b"\n" + obj.name + b"\n"
                self.imemo[id(obj)] = self.put()
                self.save(obj.state)
                self.w += b"b"
        else:
            raise TypeError("protocol 0 emitter: no %s" % t.__name__)

    def save_string(self, s, memo):
        memo = memo and len(s) >= 2
        if memo:
            idx = self.vmemo.get(s)
            if idx is not None:
                self.get(idx)
                return
        if type(s) is bytes:
            self.w += b"S" + py2_str_repr(s) + b"\n"
        else:
            self.w += b"V" + py2_raw_unicode_escape(s) + b"\n"
        if memo:
            self.vmemo[s] = self.put()

    def write_tuple(self, t):
        self.w += b"("
        for x in t:
            self.save(x)
        self.w += b"t"

    def write_list(self, lst, memo):
        self.w += b"(l"
        if memo:
            self.imemo[id(lst)] = self.put()
        for x in lst:
            self.save(x)
            self.w += b"a"

    def write_dict(self, d, memo):
        self.w += b"(d"
        if memo:
            self.imemo[id(d)] = self.put()
        for k, v in d.items():
            self.save(k)
            self.save(v)
            self.w += b"s"


# ---------------------------------------------------------------------------
# Versions.

class Traits(object):
    """What differs between the supported Buildbot versions (spec 2.5/2.6)."""

    EPOCH = {"0.7.5": 1190000000.0, "0.7.12": 1267000000.0,
             "0.8.2": 1290000000.0, "0.8.7": 1355000000.0}

    def __init__(self, name):
        v = tuple(int(x) for x in name.split("."))
        self.name = name
        self.v = v
        self.v08 = v >= (0, 8, 0)
        self.epoch = self.EPOCH[name]
        self.color = v < (0, 7, 10)
        self.can_compress = v >= (0, 7, 10)
        self.can_gz = v >= (0, 7, 12)
        self.safe_translate = v >= (0, 7, 12)
        self.retry = v >= (0, 8, 0)
        self.skipped = v >= (0, 8, 2)
        self.props_object = v >= (0, 7, 8)
        self.runtime = v >= (0, 8, 2)
        self.props_build = v >= (0, 8, 5)
        self.build_pv = 2 if v < (0, 7, 8) else 3 if v < (0, 8, 7) else 4
        self.step_pv = (1 if v < (0, 7, 8) else 2 if v < (0, 8, 2) else
                        3 if v < (0, 8, 6) else 4)
        self.ss_pv = None if v < (0, 8, 0) else 2 if v < (0, 8, 7) else 3
        self.sources = v >= (0, 8, 7)
        self.memo_pv_keys = not self.v08
        self.log_config = (0, 7, 12) <= v < (0, 8, 6)
        self.builder_config = (0, 7, 10) <= v < (0, 8, 6)
        self.new_modules = v >= (0, 8, 4)
        self.deferred_lock = v >= (0, 8, 7)
        self.links = v < (0, 8, 6)
        self.elapsed_first = v == (0, 8, 2)
        self.event_color = v < (0, 7, 10)
        self.event_horizon = 50 if v >= (0, 7, 11) else None

    def text(self, x):
        """A str attribute of this version's pickles (py2 str = bytes)."""
        if x is None:
            return None
        return x.encode("utf-8")

    def dbtext(self, x):
        """A value 0.8 rebuilt from the database (unicode); str before."""
        if x is None:
            return None
        return x if self.v08 else x.encode("utf-8")

    def pv_key(self, cls):
        key = b"%s.persistenceVersion" % cls
        return key if self.memo_pv_keys else Fresh(key)


# ---------------------------------------------------------------------------
# Text pools.

BUILDER_NAMES = [
    "linux x86_64 (gcc)", "win32: msvc/debug", "osx-10.6 [release]",
    "docs & lint", "full #test @nightly", "d\u00e9bian sid", "arm~cross",
    "py2.7 'unit'", "freebsd+clang", "coverage, slow", "solaris;sparc",
    "centos-5 <i386>", "valgrind=memcheck", "mingw $cross",
    "netbsd %amd64", "ubuntu|lucid", "gentoo!hardened", "aix^ppc",
    "hurd{i686}", "\"quoted\" `tick`",
]

SLAVES = ["example-slave", "bot-linux-1", "bot-linux-2", "bot-win7",
          "bot-osx", "bot-arm", "bot-bsd", "bot-sparc"]

AUTHORS = [
    "Jos\u00e9 \u00d1\u00fa\u00f1ez <jose@example.org>",
    "Zo\u00eb \u00c5ngstr\u00f6m <zoe@example.se>",
    "\u674e\u56db <lisi@example.cn>",
    "dustin <dustin@v.igoro.us>",
    "S\u00f8ren Kierkegaard <soren@example.dk>",
    "Micka\u00ebl R\u00e9mond <mickael@example.fr>",
    "Ada Lovelace <ada@example.org>",
    "the snowman <\u2603@norpole.net>",
    "bob <bob@example.com>",
    "Grace Hopper <grace@example.mil>",
]

COMMENTS = [
    "fix build on \u2603 platforms",
    "Merge branch 'release-1.2'",
    "Add na\u00efve test for the caf\u00e9 parser",
    "bump version to 1.2.%d",
    "don't crash on empty input\n\nThe parser used to dereference NULL "
    "when the file was empty; check first.",
    "Revert \"speed up the log reader\"\n\nThis reverts commit %x.",
    "typo",
    "\u00fcn\u00efc\u00f6d\u00e9 in comments, again",
    "refactor: split util.c (no functional change)",
    "tests: cover the \"quoted\" and 'single' cases\n",
    "log reader: handle a truncated last chunk\n\nA master that dies while "
    "a step runs leaves a log file whose last netstring is incomplete. The "
    "reader used to reject the whole file; it now reports the complete "
    "chunks and remembers the offset of the incomplete tail so that the "
    "next pass can resume from there.\n\nReported-by: Zo\u00eb",
]

FILES = ["src/main.c", "src/parser.c", "include/parser.h", "docs/index.rst",
         "tests/test_parser.py", "\u2605/funny_chars/in/a/path",
         "Makefile.am", "configure.ac", "lib/util.c", "po/fr.po",
         "src/caf\u00e9.c", "README"]

FORCE_COMMENTS = ["rebuild", "rebuild after the \u2603 outage",
                  "checking a flaky test", "", "release candidate"]

STEP_KINDS = {
    # kind: (command, done words, log weight, duration range)
    "git": ("git fetch -t git://git.example.org/widget.git +master",
            ["update"], 0.15, (2.0, 25.0)),
    "svn": ("svn update --non-interactive --no-auth-cache",
            ["update"], 0.15, (2.0, 25.0)),
    "configure": ("./configure --prefix=/usr --enable-debug",
                  ["configure"], 0.6, (5.0, 40.0)),
    "compile": ("make -j4 all", ["compile"], 3.0, (40.0, 600.0)),
    "test": ("make check", ["test"], 3.0, (30.0, 900.0)),
    "trial": ("trial widget", ["trial"], 2.0, (20.0, 400.0)),
    "pyflakes": ("pyflakes widget", ["pyflakes"], 0.5, (3.0, 30.0)),
    "shell": (None, None, 0.3, (1.0, 20.0)),
    "make install": ("make install DESTDIR=/tmp/inst", ["install"], 0.8,
                     (5.0, 60.0)),
    "upload": ("rsync -a dist/ upload@example.org:/srv/dist/", ["upload"],
               0.2, (2.0, 30.0)),
    "unit test": ("python -m unittest discover -v", ["unit", "test"], 1.0,
                  (10.0, 120.0)),
    "unit_test": ("python -m unittest discover -v tests/slow",
                  ["unit_test"], 1.0, (10.0, 120.0)),
}

SHELL_COMMANDS = ["sleep 10", "echo hello world", "du -sh build",
                  "ls -l dist", "uname -a", "df -h ."]

EXTRA_KINDS = ["configure", "compile", "test", "shell", "shell", "trial",
               "pyflakes", "make install", "upload"]

RESULT_COLOR = {SUCCESS: "green", WARNINGS: "orange", FAILURE: "red",
                SKIPPED: "white", EXCEPTION: "purple", RETRY: "purple"}

INTERRUPT_TEXT = (b"[Failure instance: Traceback (failure with no frames): "
                  b"<class 'twisted.internet.error.ConnectionLost'>: "
                  b"Connection to the other side was lost in a non-clean "
                  b"fashion.\n]\n")

_SAFE_TABLE = bytes(0x5f if c in b"\t !#$%&'()*+,./:;<=>?@[\\]^{|}~" else c
                    for c in range(256))


def safe_translate(name):
    """Buildbot's safeTranslate (0.7.12+): UTF-8, listed bytes become '_'."""
    return name.encode("utf-8").translate(_SAFE_TABLE).decode("utf-8")


_LOGNAME_RE = re.compile(r"[^A-Za-z0-9_.\-]", re.ASCII)


def log_filename(number, stepname, logname, taken):
    """The LogFile base name of spec 1.3; `taken` holds the build's names."""
    s = _LOGNAME_RE.sub("_", "%d-log-%s-%s" % (number, stepname, logname))
    if s in taken:
        i = 0
        while "%s_%d" % (s, i) in taken:
            i += 1
        s = "%s_%d" % (s, i)
    taken.add(s)
    return s


def describe_command(cmd):
    """ShellCommand.describe(done=True) for a command string."""
    words = cmd.split()
    if len(words) == 1:
        return ["'%s'" % words[0]]
    if len(words) == 2:
        return ["'%s" % words[0], "%s'" % words[1]]
    return ["'%s" % words[0], words[1], "...'"]


def sha(rng):
    return "%040x" % rng.getrandbits(160)


def tround(t):
    return round(t, 6)


# ---------------------------------------------------------------------------
# Planning: everything except log contents is decided here, in the main
# process, from per-builder random streams.

def make_recipe(rng, steps, collide, v07):
    n = rng.randint(max(1, steps - 2), steps + 3)
    kinds = [rng.choice(["git", "svn"]) if v07 else "git"]
    while len(kinds) < n:
        kinds.append(rng.choice(EXTRA_KINDS))
    if collide:
        pos = max(1, len(kinds) - 1)
        kinds[pos:pos] = ["unit test", "unit_test"]
    seen = {}
    recipe = []
    for kind in kinds:
        k = seen.get(kind, 0)
        seen[kind] = k + 1
        name = kind if k == 0 else "%s_%d" % (kind, k)
        cmd, words = STEP_KINDS[kind][0], STEP_KINDS[kind][1]
        if kind == "shell":
            cmd = rng.choice(SHELL_COMMANDS)
            words = describe_command(cmd)
        recipe.append({"kind": kind, "name": name, "cmd": cmd,
                       "words": words})
    return recipe


def draw_outcome(rng, T):
    r = rng.random()
    if r < 0.80:
        return SUCCESS
    if r < 0.87:
        return WARNINGS
    if r < 0.95:
        return FAILURE
    if r < 0.98 or not T.retry:
        return EXCEPTION
    return RETRY


def plan_build(rng, T, recipe, number, start, budget, force=None):
    """Steps, results, texts, times and log sizes of one build; `force` is
    None or (outcome, "raised" | "interrupted") to impose."""
    outcome = draw_outcome(rng, T)
    n = len(recipe)
    bad = None
    if outcome == WARNINGS:
        cands = [i for i, r in enumerate(recipe) if r["kind"] == "compile"]
        if not cands:
            outcome = SUCCESS
        else:
            bad = rng.choice(cands)
    elif outcome == FAILURE:
        bad = rng.randrange(1, n) if n > 1 else 0
    elif outcome in (EXCEPTION, RETRY):
        bad = rng.randrange(n)
    exc_kind = rng.choice(["raised", "interrupted"])
    if force is not None:
        outcome, exc_kind = force
        cands = [i for i, r in enumerate(recipe) if r["kind"] == "compile"]
        if outcome == WARNINGS:
            bad = rng.choice(cands)
        else:
            bad = rng.randrange(1, n) if n > 1 else 0
    halt = outcome in (EXCEPTION, RETRY) or (
        outcome == FAILURE and rng.random() < 0.6)
    steps = []
    t = start + rng.uniform(0.0002, 0.002)
    for i, r in enumerate(recipe):
        kind = r["kind"]
        sp = {"name": r["name"], "kind": kind, "results": None,
              "started": None, "finished": None, "text": None,
              "text2": None, "statistics": {}, "urls": {},
              "skipped": False, "logs": []}
        steps.append(sp)
        if halt and bad is not None and i > bad:
            continue
        res = outcome if i == bad else SUCCESS
        if (res == SUCCESS and kind == "upload" and T.skipped
                and rng.random() < 0.15):
            res = SKIPPED
        lo, hi = STEP_KINDS[kind][3]
        dur = rng.uniform(lo, hi)
        if res == SKIPPED:
            dur = rng.uniform(0.0005, 0.003)
        sp["started"] = tround(t)
        t += dur
        sp["finished"] = tround(t)
        t += rng.uniform(0.0002, 0.002)
        sp["results"] = res
        words = list(r["words"])
        if T.props_object:
            if kind == "compile":
                sp["statistics"] = {"warnings": 0}
            if kind in ("test", "trial") and res != SKIPPED:
                tot = rng.randint(50, 900)
                sp["statistics"] = {"tests-total": tot,
                                    "tests-failed": 0}
        sp["logs"] = [{"name": "stdio", "kind": "stdio", "cmd": r["cmd"],
                       "exit": 0, "footer": True, "weight":
                       STEP_KINDS[kind][2] * rng.uniform(0.5, 1.5),
                       "elapsed": dur}]
        if res == SUCCESS:
            sp["text"] = words
            sp["text2"] = []
            if kind in ("test", "trial") and rng.random() < 0.1:
                sp["urls"] = {"coverage report":
                              "http://ci.example.org/cov/%d/" % number}
        elif res == SKIPPED:
            sp["text"] = words + ["skipped"]
            sp["text2"] = []
            sp["skipped"] = True
            sp["logs"] = []
        elif res == WARNINGS:
            nwarn = rng.randint(1, 40)
            sp["text"] = words + ["warnings"]
            sp["text2"] = [r["name"]]
            sp["statistics"] = {"warnings": nwarn}
            sp["logs"].append({"name": "warnings", "kind": "warnings",
                               "count": nwarn})
        elif res == FAILURE:
            sp["text"] = words + ["failed"]
            sp["text2"] = [r["name"]]
            sp["logs"][0]["exit"] = rng.choice([1, 2, 127])
            if "tests-failed" in sp["statistics"]:
                sp["statistics"]["tests-failed"] = rng.randint(1, 9)
        elif res == EXCEPTION:
            sp["logs"][0]["footer"] = False
            if exc_kind == "raised":
                sp["text"] = words + ["exception"]
                sp["text2"] = ["exception"]
                sp["logs"].append({"name": "err.text", "kind": "err.text"})
                if T.v >= (0, 7, 12):
                    sp["logs"].append({"name": "err.html", "kind": "html"})
            else:
                sp["text"] = words + ["interrupted"]
                sp["text2"] = ["interrupted"]
                sp["logs"].append({"name": "interrupt",
                                   "kind": "interrupt"})
        elif res == RETRY:
            sp["logs"][0]["footer"] = False
            sp["text"] = words + ["failed", "slave", "lost"]
            sp["text2"] = ["failed", "slave", "lost"]
            sp["logs"].append({"name": "interrupt", "kind": "interrupt"})
    finished = tround(t + rng.uniform(0.001, 0.05))
    if outcome == SUCCESS:
        text = ["build", "successful"]
    elif outcome == WARNINGS:
        text = ["warnings"]
    elif outcome == FAILURE:
        text = ["failed"]
    elif outcome == EXCEPTION:
        text = ["exception"]
    else:
        text = ["build", "successful"] if rng.random() < 0.5 else ["retry"]
    # Spread the log volume over the stdio logs by weight.
    stdios = [lg for sp in steps for lg in sp["logs"]
              if lg["kind"] == "stdio"]
    wsum = sum(lg["weight"] for lg in stdios) or 1.0
    for lg in stdios:
        lg["out"] = int(budget * lg["weight"] / wsum)
    return {"number": number, "started": tround(start), "finished": finished,
            "results": outcome, "text": text, "steps": steps}


def plan_builder(T, opts, index, name, kinds):
    rng = random.Random("%d:%s:plan:%d" % (opts.seed, T.name, index))
    b = {"index": index, "name": name, "irregular": []}
    if T.safe_translate:
        b["builddir"] = safe_translate(name)
    else:
        slug = re.sub(r"[^a-z0-9]+", "-",
                      name.encode("ascii", "ignore").decode().lower())
        slug = slug.strip("-") or "builder"
        b["builddir"] = "%s-%d" % (slug, index)
        if index % 7 == 2:
            b["builddir"] = "slaves/" + b["builddir"]
    b["slaves"] = rng.sample(SLAVES, rng.randint(1, 2))
    b["category"] = rng.choice([None, "core", "x7", "release"])
    b["recipe"] = make_recipe(rng, opts.steps, "collide" in kinds,
                              not T.v08)
    if "collide" in kinds:
        b["irregular"].append({"kind": "collide"})
    b["builder_file"] = "nobuilder" not in kinds
    if not b["builder_file"]:
        b["irregular"].append({"kind": "nobuilder"})

    numbers = list(range(opts.builds))
    if "gap" in kinds and opts.builds >= 2:
        at = max(1, opts.builds // 3)
        size = rng.randint(2, 5)
        numbers = numbers[:at] + [x + size for x in numbers[at:]]
        b["irregular"].append({"kind": "gap",
                               "missing": list(range(at, at + size))})

    # Every outcome at least once (at spread positions) when there are
    # enough builds, so that small masters cover every case.
    forced = {}
    cases = [(FAILURE, None), (EXCEPTION, "raised"),
             (EXCEPTION, "interrupted"), (RETRY if T.retry else FAILURE,
                                          "interrupted")]
    if any(r["kind"] == "compile" for r in b["recipe"]):
        cases.append((WARNINGS, None))
    if len(numbers) > len(cases):
        for k, case in enumerate(cases):
            forced[(k + 1) * len(numbers) // (len(cases) + 1)] = case
    sigma = 0.6
    t = T.epoch + rng.uniform(0, 7200)
    first = t
    builds = []
    half = len(numbers) // 2
    for k, number in enumerate(numbers):
        t += rng.expovariate(1.0 / 1800.0)
        budget = (opts.log_bytes * rng.lognormvariate(0.0, sigma) /
                  math.exp(sigma * sigma / 2))
        bp = plan_build(rng, T, b["recipe"], number, t, budget,
                        forced.get(k))
        bp["slave"] = rng.choice(b["slaves"])
        bp["method"], bp["limit"] = compression_for(T, opts.compress,
                                                    index, k >= half)
        builds.append(bp)
        t = bp["finished"]
    b["builds"] = builds

    b["crashed"] = None
    if "crashed" in kinds:
        number = (numbers[-1] + 1) if numbers else 0
        t += rng.expovariate(1.0 / 1800.0)
        bp = plan_build(rng, T, b["recipe"], number, t, opts.log_bytes)
        bp["slave"] = rng.choice(b["slaves"])
        bp["method"], bp["limit"] = compression_for(T, opts.compress,
                                                    index, True)
        # The master died during the second step: the first step's logs
        # are complete, the second step's stdio was just created.
        ran = [sp for sp in bp["steps"] if sp["started"] is not None]
        for sp in bp["steps"][:2]:
            # An HTMLLogFile lives only in the pickle that was never written.
            sp["logs"] = [lg for lg in sp["logs"] if lg["kind"] != "html"]
        for sp in bp["steps"][2:]:
            sp["logs"] = []
        if len(ran) >= 2:
            ran[1]["logs"] = [{"name": "stdio", "kind": "empty"}]
        else:
            bp["steps"][0]["logs"].append({"name": "stdio", "kind": "empty"})
        b["crashed"] = bp
        b["irregular"].append({"kind": "crashed", "number": number})

    # Placement of the per-file irregularities; the worker resolves them.
    if builds:
        if "tmp" in kinds:
            b["irregular"].append({"kind": "tmp",
                                   "number": rng.choice(builds)["number"]})
        if "pruned" in kinds:
            other = rng.choice(builds[1:]) if len(builds) > 1 else None
            b["irregular"].append({"kind": "pruned",
                                   "number": builds[0]["number"],
                                   "extra": other and other["number"]})
        for kind in ("bz2tmp", "dup"):
            if kind in kinds and opts.compress != "none":
                b["irregular"].append({"kind": kind,
                                       "after": rng.choice(builds)["number"]})
        if "empty" in kinds:
            bp = rng.choice(builds)
            ran = [sp for sp in bp["steps"]
                   if sp["started"] is not None and not sp["skipped"]]
            if ran:
                sp = rng.choice(ran)
                sp["logs"].append({"name": "test.log", "kind": "empty"})
                b["irregular"].append({"kind": "empty",
                                       "number": bp["number"],
                                       "step": sp["name"]})

    b["events"] = plan_events(rng, T, b, first, t)
    return b


def compression_for(T, compress, index, second_half):
    """(method, limit) in force for a build: limit None = never compress."""
    if compress == "none":
        return ("bz2", None)
    if compress in ("bz2", "gz"):
        return (compress, 0)
    method = "bz2"
    if T.can_gz and index % 2 == 1 and second_half:
        method = "gz"
    return (method, 4096)


def plan_events(rng, T, b, first, last):
    slave = b["slaves"][0]
    ev = [(first - rng.uniform(100, 1000), ["builder", "created"])]
    ev.append((ev[0][0] + rng.uniform(0.5, 3), ["master", "started"]))
    ev.append((ev[-1][0] + rng.uniform(1, 30), ["connect", slave]))
    restarts = max(1, len(b["builds"]) // 40)
    span = max(last - first, 1.0)
    for k in range(restarts):
        at = first + span * (k + 1) / (restarts + 1)
        if rng.random() < 0.2:
            ev.append((at - 5, ["interrupt"]))
        ev.append((at, ["disconnect", slave]))
        ev.append((at + 2, ["master", "shutdown"]))
        ev.append((at + 60, ["master", "started"]))
        ev.append((at + 75, ["connect", slave]))
    ev.append((last + 30, ["master", "shutdown"]))
    ev.sort(key=lambda e: e[0])
    if T.event_horizon is not None:
        ev = ev[-T.event_horizon:]
    return [{"started": tround(at), "finished": 0, "text": text}
            for at, text in ev]


def plan_changes(rng, T, start, end):
    changes = []
    t = start
    number = 1
    while True:
        t += rng.expovariate(1.0 / 1500.0)
        if t > end:
            break
        ch = {"number": number, "when": tround(t)}
        ch["author"] = rng.choice(AUTHORS)
        c = rng.choice(COMMENTS)
        if "%d" in c:
            c = c % rng.randint(1, 99)
        elif "%x" in c:
            c = c % rng.getrandbits(40)
        ch["comments"] = c
        ch["files"] = rng.sample(FILES, rng.randint(1, 4))
        ch["is_dir"] = 0
        r = rng.random()
        if T.v08:
            ch["branch"] = ("master" if r < 0.8 else "release-1.x" if r < 0.95
                            else "feature/\u00fcn\u00efcode")
        else:
            ch["branch"] = (None if r < 0.8 else "release-1.x" if r < 0.95
                            else "\u2604")
        ch["revision"] = sha(rng)
        ch["revlink"] = ("http://git.example.org/?p=widget.git;a=commit;h=%s"
                         % ch["revision"]) if T.v >= (0, 7, 11) else ""
        ch["category"] = rng.choice([None, None, "core"]) \
            if T.v >= (0, 7, 10) else None
        ch["repository"] = "git://git.example.org/widget.git" if T.v08 else ""
        ch["project"] = "widget" if T.v08 else ""
        ch["codebase"] = ""
        ch["properties"] = []
        if T.v >= (0, 7, 12) and rng.random() < 0.1:
            ch["properties"] = [("ticket", "#%d" % rng.randint(1, 999),
                                 "Change")]
        changes.append(ch)
        number += 1
    return changes


def finish_builds(T, opts, plans, changes):
    """Attach changes, reasons, properties and source stamps to builds."""
    by_time = changes
    for b in plans:
        rng = random.Random("%d:%s:props:%d" % (opts.seed, T.name,
                                                b["index"]))
        allb = list(b["builds"]) + ([b["crashed"]] if b["crashed"] else [])
        j = 0
        prev = None
        for bp in allb:
            window = []
            while j < len(by_time) and by_time[j]["when"] <= bp["started"]:
                if prev is not None:
                    window.append(by_time[j]["number"])
                j += 1
            prev = bp
            bp["changes"] = window[-3:]
            finish_build(rng, T, b, bp, changes)


def finish_build(rng, T, b, bp, changes):
    chs = [changes[n - 1] for n in bp["changes"]]
    bp["patch"] = None
    bp["force_by"] = None
    if chs:
        kind = "changes"
        sched = "all"
    else:
        r = rng.random()
        kind = "force" if r < 0.5 else "try" if r < 0.57 else "nightly"
        sched = {"force": "force", "try": "try", "nightly": "nightly"}[kind]
    if kind == "changes":
        bp["reason"] = ("The SingleBranchScheduler scheduler named 'all' "
                        "triggered this build" if T.sources else
                        "The Scheduler scheduler named 'all' triggered "
                        "this build")
        bp["branch"] = chs[-1]["branch"]
        bp["revision"] = chs[-1]["revision"]
    elif kind == "force":
        who = rng.choice(AUTHORS)
        comment = rng.choice(FORCE_COMMENTS)
        bp["force_by"] = (who, comment)
        if T.sources:
            bp["reason"] = "A build was forced by '%s': %s" % (who, comment)
        else:
            bp["reason"] = ("The web-page 'force build' button was pressed "
                            "by '%s': %s\n" % (who, comment))
        bp["branch"] = "master" if T.v08 else None
        bp["revision"] = None
    elif kind == "try":
        bp["reason"] = "'try' job"
        bp["branch"] = "master" if T.v08 else None
        bp["revision"] = sha(rng)
        body = ("diff --git a/src/main.c b/src/main.c\n"
                "index 3b18e51..a4c5d2f 100644\n"
                "--- a/src/main.c\n+++ b/src/main.c\n@@ -10,7 +10,7 @@\n"
                " #include <stdio.h>\n #include <stdlib.h>\n"
                " #include \"parser.h\"\n \n"
                "-static int answer = 41;\n"
                "+static int answer = %d; /* caf\u00e9 */\n \n"
                " int\n main(int argc, char **argv)\n"
                % rng.randint(42, 99)).encode("utf-8")
        bp["patch"] = (1, body)
    else:
        bp["reason"] = ("The Nightly scheduler named 'nightly' triggered "
                        "this build")
        bp["branch"] = "master" if T.v08 else None
        bp["revision"] = None
    bp["scheduler"] = sched
    bp["repository"] = chs[-1]["repository"] if chs else ""
    bp["project"] = chs[-1]["project"] if chs else ""
    blame = []
    for ch in chs:
        if ch["author"] not in blame:
            blame.append(ch["author"])
    if kind == "try":
        blame = ["bob"]
    bp["blamelist"] = blame
    ran_source = any(sp["kind"] in ("git", "svn") and sp["started"] is not None
                     for sp in bp["steps"])
    bp["got_revision"] = (bp["revision"] or sha(rng)) if ran_source else None
    bp["workdir"] = "%s/%s/build" % (SLAVE_BASE, b["builddir"])
    bp["props"] = build_properties(T, b, bp)


def build_properties(T, b, bp):
    """[(name, value, source)] as the pickle holds them (py2 types)."""
    s = T.text
    u = T.dbtext
    name = b["name"]
    bname = (name if not name.isascii() and T.v08 else s(name))
    if not T.props_object:
        props = [(b"buildnumber", bp["number"], None),
                 (b"slavename", s(bp["slave"]), None),
                 (b"revision", s(bp["revision"]), None),
                 (b"branch", s(bp["branch"]), None),
                 (b"buildername", bname, None)]
        return props
    props = [(b"buildername", bname, "Builder"),
             (b"buildnumber", bp["number"], "Build"),
             (b"slavename", s(bp["slave"]), "BuildSlave"),
             (b"branch", u(bp["branch"]), "Build"),
             (b"revision", u(bp["revision"]), "Build")]
    if bp["got_revision"] is not None:
        props.append((b"got_revision", s(bp["got_revision"]),
                      "Git" if T.sources else "Source"))
    sched_name = "scheduler" if T.sources else b"scheduler"
    props.append((sched_name, u(bp["scheduler"]), "Scheduler"))
    if T.v08:
        props.append((b"repository", bp["repository"], "Build"))
        props.append((b"project", bp["project"], "Build"))
        props.append((b"workdir", s(bp["workdir"]), "slave"))
    if bp["force_by"] is not None:
        who, comment = bp["force_by"]
        props.append((b"owners", [u(who)], "Build"))
        if T.v08:
            props.append(("owner", who, "Force Build Form"))
            props.append(("reason", comment, "Force Build Form"))
    return props


# ---------------------------------------------------------------------------
# Log contents (worker side).

WORDS = ["parser", "lexer", "util", "main", "buffer", "widget", "sprocket",
         "caf\u00e9", "queue", "hash", "store", "frame", "codec", "log",
         "config", "daemon", "client", "server", "event", "timer"]


def make_corpus(rng, size):
    """About `size` bytes of build output lines, newline-terminated."""
    lines = []
    total = 0
    ri = rng.randint
    ch = rng.choice
    rr = rng.random
    while total < size:
        r = rr()
        w1 = ch(WORDS)
        w2 = ch(WORDS)
        if r < 0.25:
            line = ("gcc -DHAVE_CONFIG_H -I. -I../include -O2 -g -Wall -c "
                    "src/%s_%s.c -o src/%s_%s.o" % (w1, w2, w1, w2))
        elif r < 0.40:
            line = "  CC       lib%s/%s_%d.lo" % (w1, w2, ri(0, 999))
        elif r < 0.60:
            line = "test_%s_%s_%d (tests.test_%s.%sTest) ... ok" % (
                w1, w2, ri(0, 99), w1, w2.capitalize())
        elif r < 0.66:
            line = "PASS: t/%04d-%s.t" % (ri(0, 9999), w1)
        elif r < 0.71:
            line = ("make[%d]: Entering directory '/home/buildbot/slave/"
                    "build/%s'" % (ri(1, 4), w1))
        elif r < 0.76:
            line = "  [OK] \u2713 %s.%s (%d.%03ds)" % (w1, w2, ri(0, 9),
                                                     ri(0, 999))
        elif r < 0.82:
            line = "%08x  %s" % (ri(0, 2 ** 32 - 1), " ".join(
                "%02x" % ri(0, 255) for _ in range(ri(4, 16))))
        elif r < 0.88:
            line = ("libtool: link: gcc -shared -fPIC -o .libs/lib%s.so.%d "
                    ".libs/%s.o -lz -lm" % (w1, ri(0, 9), w2))
        elif r < 0.93:
            line = "Ran %d tests in %d.%03ds" % (ri(1, 900), ri(0, 99),
                                                ri(0, 999))
        elif r < 0.995:
            line = "%s: %s %d bytes from %s" % (w1, w2, ri(0, 10 ** 6),
                                               "0x%x" % ri(0, 2 ** 24))
        else:
            # Command output is bytes: not always UTF-8.
            lines.append(b"caf\xe9 au lait (latin-1 output)\n")
            total += 32
            continue
        line = line.encode("utf-8") + b"\n"
        lines.append(line)
        total += len(line)
    return b"".join(lines)


def make_stderr_corpus(rng):
    out = []
    for _ in range(300):
        w1 = rng.choice(WORDS)
        r = rng.random()
        if r < 0.5:
            line = "src/%s.c:%d:%d: warning: unused variable '%s' " \
                   "[-Wunused-variable]" % (w1, rng.randint(1, 2000),
                                            rng.randint(1, 80),
                                            rng.choice(WORDS))
        elif r < 0.8:
            line = "/usr/lib/python2.7/%s.py:%d: DeprecationWarning: " \
                   "%s is deprecated" % (w1, rng.randint(1, 900), w1)
        else:
            line = "ld: warning: lib%s.so needed by lib%s.so, may conflict" \
                % (w1, rng.choice(WORDS))
        out.append(line.encode("utf-8") + b"\n")
    return b"".join(out)


class Content(object):
    """Per-builder output sources and the log chunk writer."""

    def __init__(self, rng, T, builddir):
        self.rng = rng
        self.T = T
        self.corpus = make_corpus(rng, 1 << 20)
        self.err = make_stderr_corpus(rng)
        env = ["  HOME=/home/buildbot", "  LANG=en_US.UTF-8",
               "  LOGNAME=buildbot", "  PATH=/usr/local/bin:/usr/bin:/bin",
               "  PWD=%s/%s/build" % (SLAVE_BASE, builddir),
               "  PYTHONPATH=%s/lib/python2.%d/site-packages"
               % (SLAVE_BASE, 6 if T.v < (0, 8, 5) else 7),
               "  SHELL=/bin/bash", "  TERM=dumb", "  USER=buildbot"]
        names = [w for w in WORDS if w.isascii()]
        for _ in range(rng.randint(10, 30)):
            env.append("  %s_%s=%s" % (rng.choice(names).upper(),
                                       rng.choice(names).upper(),
                                       "/opt/%s/%d" % (rng.choice(WORDS),
                                                       rng.randint(1, 99))))
        env.sort()
        self.env = ("\n".join(env) + "\n").encode("utf-8")
        self.builddir = builddir

    def take(self, src, n):
        """n bytes of src from a random line start, wrapping around."""
        size = len(src)
        off = src.rfind(b"\n", 0, self.rng.randrange(size)) + 1
        parts = []
        while n > 0:
            k = min(n, size - off)
            parts.append(src[off:off + k])
            n -= k
            off = 0
        return b"".join(parts)

    def html(self):
        """The err.html document of a step that raised (Twisted's
        formatFailure), kept inline in the pickle up to 0.8.8."""
        rng = self.rng
        style = "".join("    div.%s {\n      padding: %dpx;\n    }\n\n"
                        % (w, rng.randint(1, 9)) for w in
                        ("stackTrace", "frame", "firstFrame", "location",
                         "snippet", "variables", "dict", "list"))
        msg = ("&lt;class 'exceptions.UnicodeDecodeError'&gt;: 'utf8' codec "
               "can't decode byte 0xe9 in position %d: invalid continuation "
               "byte" % rng.randint(0, 40))
        return ("\n<style type=\"text/css\">\n%s</style>\n<a href=\"#tbend\">"
                "\n<p class=\"error\">%s</p>\n</a><div class=\"stackTrace\">"
                "</div><a name=\"tbend\"> </a>\n<p class=\"error\">%s</p>\n"
                % (style, msg, msg)).encode("utf-8")

    def header(self, cmd):
        argv = repr(cmd.split())
        return (("%s\n in dir %s/%s/build (timeout 1200 secs)\n"
                 " watching logfiles {}\n argv: %s\n environment:\n")
                % (cmd, SLAVE_BASE, self.builddir, argv)).encode("utf-8") + \
            self.env + b" closing stdin\n using PTY: False\n"

    def entries(self, lg):
        """The (channel, text) writes of one log, in order."""
        rng = self.rng
        kind = lg["kind"]
        if kind == "empty":
            return []
        if kind == "interrupt":
            return [(0, INTERRUPT_TEXT)]
        if kind == "err.text":
            tb = ("Traceback (most recent call last):\n"
                  "  File \"/usr/lib/python2.6/dist-packages/buildbot/process/"
                  "buildstep.py\", line %d, in startStep\n"
                  "    self.start()\n"
                  "  File \"/usr/lib/python2.6/dist-packages/buildbot/steps/"
                  "shell.py\", line %d, in setupEnvironment\n"
                  "    env = self.getProperty('env')\n"
                  "exceptions.UnicodeDecodeError: 'utf8' codec can't decode "
                  "byte 0xe9 in position %d: invalid continuation byte\n"
                  % (rng.randint(100, 1400), rng.randint(100, 700),
                     rng.randint(0, 40)))
            return [(0, tb.encode("utf-8"))]
        if kind == "html":
            return [(1, self.html())]
        if kind == "warnings":
            return [(0, b"".join(
                b"src/%s.c:%d: warning: unused variable '%s'\n"
                % (rng.choice(WORDS).encode("utf-8"), rng.randint(1, 2000),
                   rng.choice(WORDS).encode("utf-8"))
                for _ in range(lg["count"])))]
        ents = [(2, self.header(lg["cmd"]))]
        # Every command prints something, even when the build's log budget
        # is spent on the headers.
        remaining = max(rng.randint(80, 600), lg["out"] - len(ents[0][1]))
        if remaining:
            text = self.take(self.corpus, remaining)
            end = text.find(b"\n", len(text) - 200 if len(text) > 200 else 0)
            text = text[:end + 1] if end >= 0 else text
            pos = 0
            while pos < len(text):
                n = rng.randint(512, 8192)
                ents.append((0, text[pos:pos + n]))
                pos += n
                if rng.random() < 0.04:
                    ents.append((1, self.take(self.err,
                                              rng.randint(60, 600))))
        if lg["footer"]:
            fin = b"program finished with exit code %d\n" % lg["exit"]
            el = b"elapsedTime=%f\n" % lg["elapsed"]
            ents += [(2, el), (2, fin)] if self.T.elapsed_first else \
                [(2, fin), (2, el)]
        return ents


def chunk_stream(entries):
    """Run LogFile.addEntry/merge over the writes: the file's bytes and the
    payload bytes per channel."""
    out = []
    chans = [0, 0, 0]
    run = []
    runch = None
    runlen = 0

    def merge():
        text = b"".join(run)
        chans[runch] += len(text)
        for off in range(0, len(text), CHUNK_SIZE):
            piece = text[off:off + CHUNK_SIZE]
            out.append(b"%d:%d" % (len(piece) + 1, runch))
            out.append(piece)
            out.append(b",")

    for ch, text in entries:
        if run and ch != runch:
            merge()
            run = []
            runlen = 0
        runch = ch
        run.append(text)
        runlen += len(text)
        if runlen >= CHUNK_SIZE:
            merge()
            run = []
            runlen = 0
    if run:
        merge()
    return b"".join(out), chans


# ---------------------------------------------------------------------------
# Pickle object graphs (worker side).

MOD_BUILDER = b"buildbot.status.builder"


def change_inst(T, ch, links):
    s = T.dbtext
    st = {}
    if T.v08 and T.v >= (0, 8, 2):
        st[b"category"] = s(ch["category"])
    st[b"files"] = [s(f) for f in ch["files"]]
    st[b"isdir"] = ch["is_dir"]
    if T.links:
        st[b"links"] = links if links is not None else []
    st[b"who"] = s(ch["author"])
    st[b"when"] = ch["when"]
    st[b"number"] = ch["number"]
    st[b"comments"] = s(ch["comments"])
    st[b"branch"] = s(ch["branch"])
    st[b"revision"] = s(ch["revision"])
    if T.v >= (0, 7, 10) and not T.v08:
        st[b"category"] = s(ch["category"])
    if T.v >= (0, 7, 11):
        st[b"revlink"] = s(ch["revlink"] or "")
    if T.v >= (0, 7, 12):
        props = {}
        for name, value, source in ch["properties"]:
            props[T.text(name)] = (s(value), source.encode())
        st[b"properties"] = properties_inst(T, props, [])
    if T.v08:
        st[b"repository"] = s(ch["repository"])
        st[b"project"] = s(ch["project"])
    if T.sources:
        st[b"codebase"] = s(ch["codebase"])
    return Inst(b"buildbot.changes.changes", b"Change", st)


def properties_inst(T, props, runtime):
    st = {}
    if T.runtime:
        st[b"runtime"] = PySet(runtime)
    st[b"properties"] = props
    if T.props_build:
        st[b"build"] = None
    return Inst(b"buildbot.process.properties", b"Properties", st)


SHARED_SOURCES = ("BuildSlave", "Scheduler", "Force Build Form")


def build_props_value(T, bp):
    if not T.props_object:
        return {name: value for name, value, _ in bp["props"]}
    d = {}
    runtime = []
    for name, value, source in bp["props"]:
        tup = (value, source.encode())
        if T.v08 and source in SHARED_SOURCES:
            tup = Shared(tup)
        d[name] = tup
        if name in (b"got_revision", b"workdir"):
            runtime.append(name)
    return properties_inst(T, d, runtime)


def sourcestamp_inst(T, bp, chobjs):
    s = T.dbtext
    st = {}
    patch = None
    if bp["patch"] is not None:
        patch = (bp["patch"][0], bp["patch"][1])
    if not T.v08:
        st[b"branch"] = s(bp["branch"])
        st[b"revision"] = s(bp["revision"])
        st[b"patch"] = patch
        st[b"changes"] = chobjs
        return Inst(b"buildbot.sourcestamp", b"SourceStamp", st)
    if T.sources:
        st[b"project"] = T.text(bp["project"])
        st[b"repository"] = T.text(bp["repository"])
        st[b"patch_info"] = (("bob", "try job") if patch else None)
        st[T.pv_key(b"buildbot.sourcestamp.SourceStamp")] = T.ss_pv
        st[b"patch"] = patch
        st[b"codebase"] = b""
        st[b"_addSourceStampToDatabase_lock"] = NewObj(
            b"twisted.internet.defer", b"DeferredLock",
            {b"waiting": Fresh([])})
        st[b"branch"] = s(bp["branch"])
        st[b"sourcestampsetid"] = bp["db_ssid"]
        st[b"revision"] = s(bp["revision"] or "")
    else:
        st[b"repository"] = bp["repository"]
        st[b"project"] = bp["project"]
        st[T.pv_key(b"buildbot.sourcestamp.SourceStamp")] = T.ss_pv
        st[b"patch"] = patch
        st[b"branch"] = s(bp["branch"])
        st[b"revision"] = s(bp["revision"])
    if chobjs:
        st[b"changes"] = tuple(chobjs)
    return Inst(b"buildbot.sourcestamp", b"SourceStamp", st)


def logfile_inst(T, lg, cmethod):
    module = b"buildbot.status.logfile" if T.new_modules else MOD_BUILDER
    if lg["kind"] == "html":
        return Inst(module, b"HTMLLogFile", {
            b"html": lg["html"], b"name": T.text(lg["name"]),
            b"filename": lg["filename"].encode()})
    st = {b"name": T.text(lg["name"])}
    if T.log_config:
        st[b"compressMethod"] = cmethod.encode()
        st[b"tailBuffer"] = []
    st[b"runEntries"] = []
    st[b"filename"] = lg["filename"].encode()
    if T.sources:
        st[b"tailBuffer"] = []
    if T.log_config:
        st[b"logMaxTailSize"] = None
        st[b"logMaxSize"] = None
    st[b"entries"] = Fresh([]) if T.v08 else []
    st[b"length"] = lg["length"]
    if T.v >= (0, 7, 12) and T.v < (0, 8, 5) and lg["nonheader"]:
        st[b"nonHeaderLength"] = lg["nonheader"]
    st[b"runLength"] = 0
    return Inst(module, b"LogFile", st)


def step_inst(T, sp, idx, cmethod):
    st = {}
    if T.skipped:
        st[b"skipped"] = sp["skipped"]
    st[b"logs"] = [logfile_inst(T, lg, cmethod) for lg in sp["logs"]]
    if sp["started"] is not None:
        st[b"started"] = sp["started"]
        st[b"text"] = [T.text(x) for x in sp["text"]]
        st[b"results"] = sp["results"]
        st[b"text2"] = [T.text(x) for x in sp["text2"]]
        if T.color:
            st[b"color"] = RESULT_COLOR[sp["results"]].encode()
        st[b"finished"] = sp["finished"]
    if T.props_object:
        st[b"statistics"] = {k.encode(): v
                             for k, v in sp["statistics"].items()}
    st[b"name"] = T.text(sp["name"])
    if T.skipped:
        st[b"step_number"] = idx
    st[T.pv_key(b"buildbot.status.builder.BuildStepStatus")] = T.step_pv
    st[b"urls"] = {k.encode(): v.encode() for k, v in sp["urls"].items()}
    if T.skipped:
        st[b"waitingForLocks"] = False
    if T.v >= (0, 8, 6):
        st[b"hidden"] = False
    return Inst(MOD_BUILDER, b"BuildStepStatus", st)


def progress_inst(T, bp, prev):
    """BuildProgress with its StepProgress objects; `prev` (the builder's
    previous build or None) supplies the expected step times."""
    bprog = Inst(b"buildbot.status.progress", b"BuildProgress", None)
    before = {}
    if prev is not None:
        before = {sp["name"]: sp["finished"] - sp["started"]
                  for sp in prev["steps"] if sp["started"] is not None}
    steps = {}
    for sp in reversed(bp["steps"]):
        st = {b"name": T.text(sp["name"])}
        if sp["name"] in before:
            st[b"expectedTime"] = before[sp["name"]]
        st[b"buildProgress"] = bprog
        st[b"expectations"] = {b"output": None}
        if sp["started"] is not None:
            st[b"stopTime"] = sp["finished"]
            st[b"startTime"] = sp["started"]
            out = sum(lg.get("length", 0) for lg in sp["logs"]
                      if lg["name"] == "stdio")
            st[b"progress"] = {b"output": out}
        else:
            st[b"progress"] = {}
        steps[T.text(sp["name"])] = Inst(b"buildbot.status.progress",
                                         b"StepProgress", st)
    bprog.state = {
        b"debug": 0,
        b"finishedSteps": [T.text(sp["name"]) for sp in bp["steps"]
                           if sp["started"] is not None],
        b"watchers": Fresh({}),
        b"steps": steps,
    }
    return bprog


def build_inst(T, bp, changes, prev):
    """The BuildStatus object graph of a planned build."""
    links = [] if T.links and not T.v08 else None
    chobjs = [change_inst(T, changes[n - 1], links) for n in bp["changes"]]
    st = {}
    st[b"started"] = bp["started"]
    st[b"text"] = [T.text(x) for x in bp["text"]]
    st[b"finished"] = bp["finished"]
    st[b"results"] = bp["results"]
    st[b"currentStep"] = None
    st[b"number"] = bp["number"]
    if T.sources:
        st[b"sources"] = [sourcestamp_inst(T, bp, chobjs)]
        st[b"reason"] = T.dbtext(bp["reason"])
        st[b"progress"] = None
        st[b"properties"] = build_props_value(T, bp)
        st[T.pv_key(b"buildbot.status.builder.BuildStatus")] = T.build_pv
        st[b"slavename"] = T.text(bp["slave"])
        st[b"blamelist"] = [T.dbtext(x) for x in bp["blamelist"]]
    else:
        st[T.pv_key(b"buildbot.status.builder.BuildStatus")] = T.build_pv
        st[b"reason"] = T.dbtext(bp["reason"])
        st[b"properties"] = build_props_value(T, bp)
        if T.color:
            st[b"color"] = RESULT_COLOR[bp["results"]].encode()
        st[b"blamelist"] = [T.dbtext(x) for x in bp["blamelist"]]
        st[b"slavename"] = T.text(bp["slave"])
        ss = sourcestamp_inst(T, bp, chobjs if not T.v08 and T.v <
                              (0, 7, 6) else tuple(chobjs))
        st[b"source"] = ss
    st[b"steps"] = [step_inst(T, sp, i, bp["method"])
                    for i, sp in enumerate(bp["steps"])]
    st[b"progress"] = progress_inst(T, bp, prev)
    if T.v < (0, 7, 6):
        st[b"changes"] = ss.state[b"changes"]
    elif T.sources:
        st[b"changes"] = list(chobjs)
    else:
        st[b"changes"] = tuple(chobjs)
    st[b"testResults"] = {}
    return Inst(MOD_BUILDER, b"BuildStatus", st)


def builder_inst(T, b, last):
    st = {}
    if T.builder_config:
        st[b"logCompressionLimit"] = (last["limit"] if last and
                                      last["limit"] is not None else False)
        if T.log_config:
            st[b"logMaxTailSize"] = None
            st[b"logMaxSize"] = None
    st[b"nextBuild"] = None
    if T.builder_config and T.v >= (0, 7, 11):
        st[b"logHorizon"] = None
        st[b"eventHorizon"] = T.event_horizon
    st[b"category"] = T.text(b["category"])
    st[b"watchers"] = []
    name = b["name"]
    st[b"name"] = name if (T.v08 and not name.isascii()) else T.text(name)
    st[b"slavenames"] = [T.text(x) for x in b["slaves"]]
    st[T.pv_key(b"buildbot.status.builder.BuilderStatus")] = 1
    if T.builder_config and T.v >= (0, 7, 11):
        st[b"buildHorizon"] = None
    if T.log_config:
        st[b"logCompressionMethod"] = (last["method"] if last
                                       else "bz2").encode()
    st[b"lastBuildStatus"] = None
    evmod = b"buildbot.status.event" if T.new_modules else MOD_BUILDER
    events = []
    for ev in b["events"]:
        est = {b"started": ev["started"],
               b"text": [T.text(x) for x in ev["text"]],
               b"finished": ev["finished"]}
        if T.event_color:
            est[b"color"] = None
        events.append(Inst(evmod, b"Event", est))
    st[b"events"] = events
    return Inst(MOD_BUILDER, b"BuilderStatus", st)


# ---------------------------------------------------------------------------
# Writing one builder directory (worker).

def compress(data, method, tmpname, mtime):
    if method == "bz2":
        return bz2.compress(data, 9)
    buf = io.BytesIO()
    # Buildbot writes "<name>.gz.tmp", so that is the FNAME in the header.
    with gzip.GzipFile(filename=tmpname, mode="wb", fileobj=buf,
                       compresslevel=9, mtime=int(mtime)) as g:
        g.write(data)
    return buf.getvalue()


def write_file(path, data, mtime):
    with open(path, "wb") as f:
        f.write(data)
    os.utime(path, (mtime, mtime))


def gen_builder(job):
    """Write one builder directory.  Returns the per-log results in the
    order builds/steps/logs are traversed, the files a reader must ignore
    and the irregularities actually planted."""
    outdir, tname, seed, b, changes = job
    T = Traits(tname)
    rng = random.Random("%d:%s:content:%d" % (seed, tname, b["index"]))
    content = Content(rng, T, b["builddir"])
    bdir = os.path.join(outdir, b["builddir"])
    os.makedirs(bdir)
    irr = {x["kind"]: x for x in b["irregular"]}
    applied = [x for x in b["irregular"] if x["kind"] not in
               ("pruned", "bz2tmp", "dup")]
    pending = {k: irr[k]["after"] for k in ("bz2tmp", "dup") if k in irr}
    pruned = irr.get("pruned")
    prune_extra = [pruned["extra"]] if pruned and pruned["extra"] else []
    pruned_files = []
    results = []
    ignored = []

    def fate_of(bp, packed, pickled):
        if not pickled:
            return "normal"
        if pruned and bp["number"] == pruned["number"]:
            return "pruned"
        if bp["number"] in prune_extra:
            prune_extra.remove(bp["number"])
            return "pruned"
        if packed:
            for kind, after in sorted(pending.items()):
                if bp["number"] >= after:
                    del pending[kind]
                    return kind
        return "normal"

    def emit_log(bp, sp, lg, taken, pickled):
        lg["filename"] = log_filename(bp["number"], sp["name"], lg["name"],
                                      taken)
        ents = content.entries(lg)
        if lg["kind"] == "html":
            # No file: the document is in the pickle.  Readers treat it as
            # one stderr chunk.
            lg["html"] = ents[0][1]
            stream = b"%d:1%s," % (len(lg["html"]) + 1, lg["html"])
            return {"name": lg["name"], "filename": lg["filename"],
                    "length": None, "file": "inline", "path": None,
                    "stream_bytes": len(stream),
                    "channels": {"0": 0, "1": len(lg["html"]), "2": 0},
                    "text_bytes": len(lg["html"]),
                    "lines": lg["html"].count(b"\n"),
                    "sha256": hashlib.sha256(stream).hexdigest()}
        stream, chans = chunk_stream(ents)
        lg["length"] = sum(chans)
        lg["nonheader"] = chans[0] + chans[1]
        mtime = sp["finished"] or bp["finished"]
        base = os.path.join(bdir, lg["filename"])
        method = bp["method"]
        packed = bp["limit"] is not None and len(stream) > bp["limit"]
        fate = fate_of(bp, packed, pickled)
        res = {"name": lg["name"], "filename": lg["filename"],
               "length": lg["length"] if pickled else None,
               "file": "missing", "path": None, "stream_bytes": None,
               "channels": None, "text_bytes": None, "lines": None,
               "sha256": None}
        if fate == "pruned":
            pruned_files.append(lg["filename"])
            return res
        if packed and fate != "bz2tmp":
            ext = "." + method
            write_file(base + ext, compress(stream, method,
                                            lg["filename"] + ext + ".tmp",
                                            mtime), mtime)
            res["file"] = method
            res["path"] = lg["filename"] + ext
            if fate == "dup":
                write_file(base, stream, mtime)
                applied.append({"kind": "dup", "path": lg["filename"]})
        else:
            write_file(base, stream, mtime)
            res["file"] = "raw"
            res["path"] = lg["filename"]
            if fate == "bz2tmp":
                name = lg["filename"] + "." + method + ".tmp"
                write_file(os.path.join(bdir, name),
                           compress(stream, method, name, mtime), mtime)
                ignored.append(name)
                applied.append({"kind": "bz2tmp", "path": name})
        res["stream_bytes"] = len(stream)
        res["channels"] = {"0": chans[0], "1": chans[1], "2": chans[2]}
        res["text_bytes"] = sum(chans)
        res["lines"] = _lines(stream)
        res["sha256"] = hashlib.sha256(stream).hexdigest()
        return res

    prev = None
    for bp in b["builds"]:
        taken = set()
        for sp in bp["steps"]:
            for lg in sp["logs"]:
                results.append(emit_log(bp, sp, lg, taken, True))
        data = Pickler2().dumps(build_inst(T, bp, changes, prev))
        prev = bp
        path = os.path.join(bdir, str(bp["number"]))
        write_file(path, data, bp["finished"])
        if "tmp" in irr and irr["tmp"]["number"] == bp["number"]:
            write_file(path + ".tmp", data[:len(data) // 2], bp["finished"])
            ignored.append("%d.tmp" % bp["number"])

    if b["crashed"] is not None:
        bp = b["crashed"]
        taken = set()
        for sp in bp["steps"]:
            for lg in sp["logs"]:
                results.append(emit_log(bp, sp, lg, taken, False))

    last = b["builds"][-1] if b["builds"] else None
    if b["builder_file"]:
        data = Pickler2().dumps(builder_inst(T, b, last))
        mtime = b["events"][-1]["started"]
        write_file(os.path.join(bdir, "builder"), data, mtime)
        if "tmp" in irr:
            write_file(os.path.join(bdir, "builder.tmp"),
                       data[:len(data) // 3], mtime)
            ignored.append("builder.tmp")
    if pruned_files:
        applied.append({"kind": "pruned", "files": pruned_files})
    return {"index": b["index"], "logs": results, "ignored": sorted(ignored),
            "irregular": applied}


def _lines(stream):
    """Newlines in the payload of channels 0 and 1."""
    n = 0
    pos = 0
    end = len(stream)
    while pos < end:
        colon = stream.index(b":", pos)
        size = int(stream[pos:colon])
        if stream[colon + 1] in b"01":
            n += stream.count(b"\n", colon + 2, colon + 1 + size)
        pos = colon + 1 + size + 1
    return n


# ---------------------------------------------------------------------------
# Master-level files (main process).

def changes_pck(T, changes):
    links = []
    objs = []
    for ch in changes:
        st = {}
        st[b"files"] = [T.text(f) for f in ch["files"]]
        st[b"isdir"] = ch["is_dir"]
        st[b"links"] = links
        st[b"who"] = T.text(ch["author"])
        st[b"when"] = ch["when"]
        st[b"number"] = ch["number"]
        st[b"comments"] = T.text(ch["comments"])
        st[b"branch"] = T.text(ch["branch"])
        st[b"revision"] = T.text(ch["revision"])
        if T.v >= (0, 7, 10):
            st[b"category"] = T.text(ch["category"])
        if T.v >= (0, 7, 11):
            st[b"revlink"] = T.text(ch["revlink"] or "")
        if T.v >= (0, 7, 12):
            props = {T.text(n): (T.text(v), s.encode())
                     for n, v, s in ch["properties"]}
            st[b"properties"] = Inst(b"buildbot.process.properties",
                                     b"Properties", {b"properties": props})
        objs.append(Inst(b"buildbot.changes.changes", b"Change", st))
    root = Inst(b"buildbot.changes.changes", b"ChangeMaster", {
        b"name": b"changemaster",
        b"basedir": FAKE_BASEDIR.encode(),
        b"changes": objs,
        b"nextNumber": len(changes) + 1,
    })
    return Pickler0("%.17g").dumps(root)


SCHEMA_082 = """
CREATE TABLE version (version INTEGER NOT NULL);
CREATE TABLE changes (
  changeid INTEGER PRIMARY KEY AUTOINCREMENT, author VARCHAR(1024) NOT NULL,
  comments VARCHAR(1024) NOT NULL, is_dir SMALLINT NOT NULL,
  branch VARCHAR(1024) NULL, revision VARCHAR(256), revlink VARCHAR(256) NULL,
  when_timestamp INTEGER NOT NULL, category VARCHAR(256) NULL,
  repository TEXT NOT NULL DEFAULT '', project TEXT NOT NULL DEFAULT '');
CREATE TABLE change_links (changeid INTEGER NOT NULL,
  link VARCHAR(1024) NOT NULL);
CREATE TABLE change_files (changeid INTEGER NOT NULL,
  filename VARCHAR(1024) NOT NULL);
CREATE TABLE change_properties (changeid INTEGER NOT NULL,
  property_name VARCHAR(256) NOT NULL, property_value VARCHAR(1024) NOT NULL);
CREATE TABLE schedulers (schedulerid INTEGER PRIMARY KEY AUTOINCREMENT,
  name VARCHAR(100) NOT NULL, class_name VARCHAR(100) NOT NULL,
  state VARCHAR(1024) NOT NULL);
CREATE UNIQUE INDEX name_and_class ON schedulers (name, class_name);
CREATE TABLE scheduler_changes (schedulerid INTEGER, changeid INTEGER,
  important SMALLINT);
CREATE TABLE scheduler_upstream_buildsets (buildsetid INTEGER,
  schedulerid INTEGER, active SMALLINT);
CREATE TABLE sourcestamps (id INTEGER PRIMARY KEY AUTOINCREMENT,
  branch VARCHAR(256) DEFAULT NULL, revision VARCHAR(256) DEFAULT NULL,
  patchid INTEGER DEFAULT NULL, repository TEXT NOT NULL DEFAULT '',
  project TEXT NOT NULL DEFAULT '');
CREATE TABLE sourcestamp_changes (sourcestampid INTEGER NOT NULL,
  changeid INTEGER NOT NULL);
CREATE TABLE patches (id INTEGER PRIMARY KEY AUTOINCREMENT,
  patchlevel INTEGER NOT NULL, patch_base64 TEXT NOT NULL, subdir TEXT);
CREATE TABLE buildsets (id INTEGER PRIMARY KEY AUTOINCREMENT,
  external_idstring VARCHAR(256), reason VARCHAR(256),
  sourcestampid INTEGER NOT NULL, submitted_at INTEGER NOT NULL,
  complete SMALLINT NOT NULL DEFAULT 0, complete_at INTEGER,
  results SMALLINT);
CREATE TABLE buildset_properties (buildsetid INTEGER NOT NULL,
  property_name VARCHAR(256) NOT NULL, property_value VARCHAR(1024) NOT NULL);
CREATE TABLE buildrequests (id INTEGER PRIMARY KEY AUTOINCREMENT,
  buildsetid INTEGER NOT NULL, buildername VARCHAR(256) NOT NULL,
  priority INTEGER NOT NULL DEFAULT 0, claimed_at INTEGER DEFAULT 0,
  claimed_by_name VARCHAR(256) DEFAULT NULL,
  claimed_by_incarnation VARCHAR(256) DEFAULT NULL,
  complete INTEGER DEFAULT 0, results SMALLINT,
  submitted_at INTEGER NOT NULL, complete_at INTEGER);
CREATE TABLE builds (id INTEGER PRIMARY KEY AUTOINCREMENT,
  number INTEGER NOT NULL, brid INTEGER NOT NULL,
  start_time INTEGER NOT NULL, finish_time INTEGER);
CREATE INDEX buildrequests_buildsetid ON buildrequests (buildsetid);
CREATE INDEX buildrequests_buildername ON buildrequests (buildername);
CREATE INDEX builds_number ON builds (number);
CREATE INDEX builds_brid ON builds (brid);
CREATE INDEX changes_when_timestamp ON changes (when_timestamp);
CREATE INDEX change_files_changeid ON change_files (changeid);
CREATE INDEX sourcestamp_changes_sourcestampid
  ON sourcestamp_changes (sourcestampid);
"""

SCHEMA_087 = """
CREATE TABLE migrate_version (repository_id VARCHAR(250) NOT NULL,
  repository_path TEXT, version INTEGER, PRIMARY KEY (repository_id));
CREATE TABLE changes (changeid INTEGER NOT NULL,
  author VARCHAR(256) NOT NULL, comments VARCHAR(1024) NOT NULL,
  is_dir SMALLINT NOT NULL, branch VARCHAR(256), revision VARCHAR(256),
  revlink VARCHAR(256), when_timestamp INTEGER NOT NULL,
  category VARCHAR(256), repository VARCHAR(512) DEFAULT '' NOT NULL,
  project VARCHAR(512) DEFAULT '' NOT NULL,
  codebase VARCHAR(256) DEFAULT '' NOT NULL, PRIMARY KEY (changeid));
CREATE TABLE change_files (changeid INTEGER NOT NULL,
  filename VARCHAR(1024) NOT NULL,
  FOREIGN KEY(changeid) REFERENCES changes (changeid));
CREATE TABLE change_properties (changeid INTEGER NOT NULL,
  property_name VARCHAR(256) NOT NULL, property_value VARCHAR(1024) NOT NULL,
  FOREIGN KEY(changeid) REFERENCES changes (changeid));
CREATE TABLE users (uid INTEGER NOT NULL, identifier VARCHAR(256) NOT NULL,
  bb_username VARCHAR(128), bb_password VARCHAR(128), PRIMARY KEY (uid));
CREATE TABLE users_info (uid INTEGER NOT NULL,
  attr_type VARCHAR(128) NOT NULL, attr_data VARCHAR(128) NOT NULL,
  FOREIGN KEY(uid) REFERENCES users (uid));
CREATE TABLE change_users (changeid INTEGER NOT NULL, uid INTEGER NOT NULL,
  FOREIGN KEY(changeid) REFERENCES changes (changeid),
  FOREIGN KEY(uid) REFERENCES users (uid));
CREATE TABLE objects (id INTEGER NOT NULL, name VARCHAR(128) NOT NULL,
  class_name VARCHAR(128) NOT NULL, PRIMARY KEY (id),
  CONSTRAINT object_identity UNIQUE (name, class_name));
CREATE TABLE object_state (objectid INTEGER NOT NULL,
  name VARCHAR(256) NOT NULL, value_json TEXT NOT NULL,
  CONSTRAINT name_per_object UNIQUE (objectid, name),
  FOREIGN KEY(objectid) REFERENCES objects (id));
CREATE TABLE scheduler_changes (objectid INTEGER, changeid INTEGER,
  important INTEGER, FOREIGN KEY(objectid) REFERENCES objects (id),
  FOREIGN KEY(changeid) REFERENCES changes (changeid));
CREATE TABLE sourcestampsets (id INTEGER NOT NULL, PRIMARY KEY (id));
CREATE TABLE patches (id INTEGER NOT NULL, patchlevel INTEGER NOT NULL,
  patch_base64 TEXT NOT NULL, subdir TEXT,
  patch_author TEXT DEFAULT '' NOT NULL,
  patch_comment TEXT DEFAULT '' NOT NULL, PRIMARY KEY (id));
CREATE TABLE sourcestamps (id INTEGER NOT NULL, branch VARCHAR(256),
  revision VARCHAR(256), patchid INTEGER,
  repository TEXT DEFAULT '' NOT NULL, project TEXT DEFAULT '' NOT NULL,
  sourcestampsetid INTEGER NOT NULL,
  codebase VARCHAR(256) DEFAULT '' NOT NULL, PRIMARY KEY (id),
  FOREIGN KEY(patchid) REFERENCES patches (id),
  FOREIGN KEY(sourcestampsetid) REFERENCES sourcestampsets (id));
CREATE TABLE sourcestamp_changes (sourcestampid INTEGER NOT NULL,
  changeid INTEGER NOT NULL,
  FOREIGN KEY(sourcestampid) REFERENCES sourcestamps (id),
  FOREIGN KEY(changeid) REFERENCES changes (changeid));
CREATE TABLE buildsets (id INTEGER NOT NULL, external_idstring VARCHAR(256),
  reason VARCHAR(256), sourcestampsetid INTEGER NOT NULL,
  submitted_at INTEGER NOT NULL, complete SMALLINT DEFAULT '0' NOT NULL,
  complete_at INTEGER, results SMALLINT, PRIMARY KEY (id),
  FOREIGN KEY(sourcestampsetid) REFERENCES sourcestampsets (id));
CREATE TABLE buildset_properties (buildsetid INTEGER NOT NULL,
  property_name VARCHAR(256) NOT NULL, property_value VARCHAR(1024) NOT NULL,
  FOREIGN KEY(buildsetid) REFERENCES buildsets (id));
CREATE TABLE buildrequests (id INTEGER NOT NULL,
  buildsetid INTEGER NOT NULL, buildername VARCHAR(256) NOT NULL,
  priority INTEGER DEFAULT '0' NOT NULL, complete INTEGER DEFAULT '0',
  results SMALLINT, submitted_at INTEGER NOT NULL, complete_at INTEGER,
  PRIMARY KEY (id), FOREIGN KEY(buildsetid) REFERENCES buildsets (id));
CREATE TABLE buildrequest_claims (brid INTEGER, objectid INTEGER,
  claimed_at INTEGER NOT NULL,
  FOREIGN KEY(brid) REFERENCES buildrequests (id),
  FOREIGN KEY(objectid) REFERENCES objects (id));
CREATE TABLE builds (id INTEGER NOT NULL, number INTEGER NOT NULL,
  brid INTEGER NOT NULL, start_time INTEGER NOT NULL, finish_time INTEGER,
  PRIMARY KEY (id), FOREIGN KEY(brid) REFERENCES buildrequests (id));
CREATE INDEX buildrequests_buildsetid ON buildrequests (buildsetid);
CREATE INDEX buildrequests_buildername ON buildrequests (buildername);
CREATE INDEX builds_number ON builds (number);
CREATE INDEX builds_brid ON builds (brid);
CREATE INDEX changes_when_timestamp ON changes (when_timestamp);
CREATE INDEX change_files_changeid ON change_files (changeid);
CREATE INDEX sourcestamp_changes_sourcestampid
  ON sourcestamp_changes (sourcestampid);
"""


def plan_db(T, opts, plans):
    """Assign buildset/request/sourcestamp ids to every build (0.8.x), in
    the order the master would have submitted them."""
    rng = random.Random("%d:%s:db" % (opts.seed, T.name))
    allb = []
    for b in plans:
        for bp in b["builds"]:
            allb.append((bp["started"], b["index"], bp, False))
        if b["crashed"]:
            allb.append((b["crashed"]["started"], b["index"], b["crashed"],
                         True))
    allb.sort(key=lambda x: (x[0], x[1]))
    rows = {"ss": [], "bs": [], "br": [], "builds": [], "patches": []}
    ids = {"ss": 0, "bs": 0, "br": 0, "build": 0, "patch": 0}
    for started, index, bp, crashed in allb:
        nreq = 1 if crashed or rng.random() >= 0.04 else rng.randint(2, 3)
        bp["requests"] = []
        for k in range(nreq):
            ids["ss"] += 1
            ids["bs"] += 1
            ids["br"] += 1
            patchid = None
            if bp["patch"] is not None and k == 0:
                ids["patch"] += 1
                patchid = ids["patch"]
                rows["patches"].append((patchid, bp["patch"][0],
                                        base64.b64encode(bp["patch"][1])
                                        .decode()))
            if k == 0:
                bp["db_ssid"] = ids["ss"]
            submitted = tround(started - rng.uniform(0.01, 600.0) * (k + 1))
            rows["ss"].append((ids["ss"], bp["branch"], bp["revision"],
                               patchid, bp["changes"], bp["repository"],
                               bp["project"]))
            rows["bs"].append((ids["bs"], bp["reason"], ids["ss"], submitted,
                               bp, crashed))
            rows["br"].append((ids["br"], ids["bs"], plans[index]["name"],
                               submitted, started, bp, crashed))
            ids["build"] += 1
            rows["builds"].append((ids["build"], bp["number"], ids["br"],
                                   tround(started - 0.01),
                                   None if crashed else bp["finished"]))
            bp["requests"].append({"brid": ids["br"],
                                   "buildsetid": ids["bs"]})
    return rows


def write_state_db(T, path, rows, changes):
    db = sqlite3.connect(path)
    db.executescript(SCHEMA_087 if T.sources else SCHEMA_082)
    if T.sources:
        db.execute("INSERT INTO migrate_version VALUES (?, ?, ?)",
                   ("Buildbot", "/usr/lib/python2.7/dist-packages/buildbot/"
                    "db/migrate", 22))
        db.executemany("INSERT INTO objects VALUES (?, ?, ?)", [
            (1, "buildhost:%s" % FAKE_BASEDIR, "buildbot.master.BuildMaster"),
            (2, "all", "buildbot.schedulers.basic.SingleBranchScheduler"),
            (3, "force", "buildbot.schedulers.forcesched.ForceScheduler")])
    else:
        db.execute("INSERT INTO version VALUES (6)")
        db.executemany("INSERT INTO schedulers (name, class_name, state) "
                       "VALUES (?, ?, ?)", [
                           ("all", "buildbot.scheduler.Scheduler",
                            '{"last_processed": %d}' % len(changes)),
                           ("force", "buildbot.scheduler.Triggerable", "{}")])
    for ch in changes:
        cols = [ch["number"], ch["author"], ch["comments"], ch["is_dir"],
                ch["branch"], ch["revision"], ch["revlink"], ch["when"],
                ch["category"], ch["repository"], ch["project"]]
        if T.sources:
            cols.append(ch["codebase"])
        db.execute("INSERT INTO changes VALUES (%s)" %
                   ",".join("?" * len(cols)), cols)
        db.executemany("INSERT INTO change_files VALUES (?, ?)",
                       [(ch["number"], f) for f in ch["files"]])
        db.executemany("INSERT INTO change_properties VALUES (?, ?, ?)",
                       [(ch["number"], n, json.dumps([v, s]))
                        for n, v, s in ch["properties"]])
    for pid, level, body in rows["patches"]:
        if T.sources:
            db.execute("INSERT INTO patches VALUES (?, ?, ?, NULL, ?, ?)",
                       (pid, level, body, "bob", "try job"))
        else:
            db.execute("INSERT INTO patches VALUES (?, ?, ?, NULL)",
                       (pid, level, body))
    for ssid, branch, rev, patchid, chnums, repo, proj in rows["ss"]:
        if T.sources:
            db.execute("INSERT INTO sourcestampsets VALUES (?)", (ssid,))
            db.execute("INSERT INTO sourcestamps VALUES (?,?,?,?,?,?,?,?)",
                       (ssid, branch, rev, patchid, repo, proj, ssid, ""))
        else:
            db.execute("INSERT INTO sourcestamps VALUES (?,?,?,?,?,?)",
                       (ssid, branch, rev, patchid, repo, proj))
        db.executemany("INSERT INTO sourcestamp_changes VALUES (?, ?)",
                       [(ssid, n) for n in chnums])
    for bsid, reason, ssid, submitted, bp, crashed in rows["bs"]:
        done = None if crashed else tround(bp["finished"] + 0.01)
        db.execute("INSERT INTO buildsets VALUES (?,?,?,?,?,?,?,?)",
                   (bsid, None, reason, ssid, submitted, 0 if crashed else 1,
                    done, None if crashed else bp["results"]))
        props = [("scheduler", [bp["scheduler"], "Scheduler"])]
        if bp["force_by"] is not None and T.sources:
            props.append(("owner", [bp["force_by"][0], "Force Build Form"]))
            props.append(("reason", [bp["force_by"][1], "Force Build Form"]))
        db.executemany("INSERT INTO buildset_properties VALUES (?, ?, ?)",
                       [(bsid, n, json.dumps(v)) for n, v in props])
    for brid, bsid, name, submitted, started, bp, crashed in rows["br"]:
        done = None if crashed else tround(bp["finished"] + 0.01)
        res = -1 if crashed else bp["results"]
        if T.sources:
            db.execute("INSERT INTO buildrequests VALUES (?,?,?,?,?,?,?,?)",
                       (brid, bsid, name, 0, 0 if crashed else 1, res,
                        submitted, done))
            db.execute("INSERT INTO buildrequest_claims VALUES (?, ?, ?)",
                       (brid, 1, tround(started - 0.02)))
        else:
            db.execute("INSERT INTO buildrequests VALUES "
                       "(?,?,?,?,?,?,?,?,?,?,?)",
                       (brid, bsid, name, 0, tround(started - 0.02),
                        "buildhost:%s" % FAKE_BASEDIR,
                        "pid%d-boot%d" % (4242, int(T.epoch)),
                        0 if crashed else 1, res, submitted, done))
    db.executemany("INSERT INTO builds VALUES (?, ?, ?, ?, ?)", rows["builds"])
    db.commit()
    db.close()


# ---------------------------------------------------------------------------
# Manifest.

def jsonable(v):
    if isinstance(v, bytes):
        return v.decode("utf-8")
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    return v


def manifest_build(T, bp):
    props = []
    for name, value, source in bp["props"]:
        props.append({"name": jsonable(name), "value": jsonable(value),
                      "source": source if source is not None else
                      "Upgrade from previous version"})
    props.sort(key=lambda p: p["name"])
    patch = None
    if bp["patch"] is not None:
        patch = {"level": bp["patch"][0], "bytes": len(bp["patch"][1]),
                 "sha256": hashlib.sha256(bp["patch"][1]).hexdigest()}
    ss = {"branch": bp["branch"], "revision": bp["revision"],
          "repository": bp["repository"], "project": bp["project"],
          "codebase": "", "patch": patch,
          "changes": list(bp["changes"])}
    if T.sources and ss["revision"] is None:
        ss["revision"] = ""
    steps = []
    for i, sp in enumerate(bp["steps"]):
        steps.append({
            "number": i, "name": sp["name"], "results": sp["results"],
            "started": sp["started"], "finished": sp["finished"],
            "text": sp["text"] or [], "text2": sp["text2"] or [],
            "skipped": sp["skipped"], "logs": [lg["result"]
                                               for lg in sp["logs"]]})
    return {"number": bp["number"], "file": str(bp["number"]),
            "started": bp["started"], "finished": bp["finished"],
            "results": bp["results"], "text": bp["text"],
            "reason": bp["reason"], "slave": bp["slave"],
            "blamelist": bp["blamelist"], "properties": props,
            "changes": list(bp["changes"]), "sourcestamps": [ss],
            "requests": bp.get("requests", []), "steps": steps}


def manifest(T, opts, kinds, plans, changes, rows):
    tot = {"builders": len(plans), "builds": 0, "steps": 0, "logs": 0,
           "logs_on_disk": 0, "changes": len(changes), "log_bytes": 0,
           "log_text_bytes": 0, "incomplete_builds": 0,
           "incomplete_log_bytes": 0}
    builders = []
    for b in plans:
        mb = {"name": b["name"], "builddir": b["builddir"],
              "builder_pickle": b["builder_file"],
              "events": len(b["events"]) if b["builder_file"] else None,
              "event_list": b["events"] if b["builder_file"] else [],
              "slavenames": b["slaves"], "category": b["category"],
              "irregularities": b["applied"], "ignored_files": b["ignored"],
              "builds": [], "incomplete_builds": []}
        for bp in b["builds"]:
            mbp = manifest_build(T, bp)
            mb["builds"].append(mbp)
            tot["builds"] += 1
            tot["steps"] += len(mbp["steps"])
            for sp in mbp["steps"]:
                for lg in sp["logs"]:
                    tot["logs"] += 1
                    if lg["file"] not in ("missing", "inline"):
                        tot["logs_on_disk"] += 1
                        tot["log_bytes"] += lg["stream_bytes"]
                        tot["log_text_bytes"] += lg["text_bytes"]
        if b["crashed"] is not None:
            bp = b["crashed"]
            logs = [lg["result"] for sp in bp["steps"] for lg in sp["logs"]
                    if "result" in lg]
            mb["incomplete_builds"].append({"number": bp["number"],
                                            "started": bp["started"],
                                            "logs": logs})
            tot["incomplete_builds"] += 1
            tot["incomplete_log_bytes"] += sum(lg["stream_bytes"]
                                               for lg in logs)
        builders.append(mb)
    mchanges = []
    for ch in changes:
        mchanges.append({
            "number": ch["number"], "author": ch["author"],
            "comments": ch["comments"], "files": ch["files"],
            "is_dir": ch["is_dir"], "branch": ch["branch"],
            "revision": ch["revision"], "revlink": ch["revlink"],
            "category": ch["category"], "repository": ch["repository"],
            "project": ch["project"], "codebase": ch["codebase"],
            "when": ch["when"],
            "properties": [{"name": n, "value": v, "source": s}
                           for n, v, s in ch["properties"]]})
    db = None
    if T.v08:
        db = {"schema": "migrate_version 22" if T.sources else "version 6",
              "buildsets": len(rows["bs"]), "buildrequests": len(rows["br"]),
              "builds_rows": len(rows["builds"]), "changes": len(changes)}
    return {"format": MANIFEST_FORMAT, "format_version": MANIFEST_VERSION,
            "options": {"version": T.name, "builders": opts.builders,
                        "builds": opts.builds, "steps": opts.steps,
                        "log_bytes": opts.log_bytes,
                        "compress": opts.compress, "irregular": kinds,
                        "seed": opts.seed},
            "totals": tot, "builders": builders, "changes": mchanges,
            "db": db}


# ---------------------------------------------------------------------------

def builder_names(n):
    names = []
    for i in range(n):
        base = BUILDER_NAMES[i % len(BUILDER_NAMES)]
        k = i // len(BUILDER_NAMES)
        names.append(base if k == 0 else "%s #%d" % (base, k))
    return names


def assign_irregularities(kinds, nbuilders):
    """builder index -> kinds: kind k goes to builders k, k+9, ... mod N."""
    per = [[] for _ in range(nbuilders)]
    if nbuilders == 0:
        return per
    rounds = max(1, math.ceil(nbuilders / len(IRREGULARITIES)))
    for k, kind in enumerate(IRREGULARITIES):
        if kind not in kinds:
            continue
        for m in range(rounds):
            per[(k + m * len(IRREGULARITIES)) % nbuilders].append(kind)
    return [sorted(set(x)) for x in per]


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="gen-master.py",
        description="Write a synthetic Buildbot 0.7/0.8 master base "
        "directory (see the module documentation for details and the "
        "manifest format).")
    p.add_argument("--version", default="0.8.2",
                   choices=["0.7.5", "0.7.12", "0.8.2", "0.8.7"])
    p.add_argument("--builders", type=int, default=4)
    p.add_argument("--builds", type=int, default=20)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--log-bytes", type=int, default=30000)
    p.add_argument("--compress", choices=["none", "bz2", "gz", "mixed"])
    p.add_argument("--irregular", default="all")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    p.add_argument("--manifest")
    p.add_argument("outdir")
    opts = p.parse_args(argv)
    T = Traits(opts.version)
    if opts.compress is None:
        opts.compress = "mixed" if T.can_compress else "none"
    if opts.compress != "none" and not T.can_compress:
        p.error("Buildbot %s never compressed logs: use --compress none"
                % T.name)
    if opts.compress == "gz" and not T.can_gz:
        p.error("gz log compression needs 0.7.12+")
    for name in ("builders", "builds", "log_bytes"):
        if getattr(opts, name) < 0:
            p.error("--%s must be >= 0" % name.replace("_", "-"))
    if opts.steps < 1:
        p.error("--steps must be >= 1")
    if opts.irregular == "all":
        kinds = list(IRREGULARITIES)
    elif opts.irregular == "none":
        kinds = []
    else:
        kinds = [k for k in opts.irregular.split(",") if k]
        bad = [k for k in kinds if k not in IRREGULARITIES]
        if bad:
            p.error("unknown irregularity %s (known: %s)"
                    % (", ".join(bad), ", ".join(IRREGULARITIES)))
    return opts, T, kinds


def main(argv):
    opts, T, kinds = parse_args(argv)
    out = opts.outdir
    if os.path.exists(out) and os.listdir(out):
        sys.stderr.write("gen-master.py: %s exists and is not empty\n" % out)
        return 1
    os.makedirs(out, exist_ok=True)

    names = builder_names(opts.builders)
    dirs = [safe_translate(n) for n in names]
    if len(set(dirs)) != len(dirs):
        raise SystemExit("gen-master.py: builder directory names collide")
    per = assign_irregularities(kinds, opts.builders)
    plans = [plan_builder(T, opts, i, names[i], per[i])
             for i in range(opts.builders)]
    ends = [bp["finished"] for b in plans
            for bp in b["builds"] + ([b["crashed"]] if b["crashed"] else [])]
    end = max(ends) if ends else T.epoch
    crng = random.Random("%d:%s:changes" % (opts.seed, T.name))
    changes = plan_changes(crng, T, T.epoch, end)
    finish_builds(T, opts, plans, changes)
    rows = plan_db(T, opts, plans) if T.v08 else None

    jobs = [(out, T.name, opts.seed, b, changes) for b in plans]
    if opts.jobs > 1 and len(jobs) > 1:
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(min(opts.jobs, len(jobs))) as pool:
            results = pool.map(gen_builder, jobs, chunksize=1)
    else:
        results = [gen_builder(j) for j in jobs]

    for b, res in zip(plans, results):
        it = iter(res["logs"])
        for bp in b["builds"]:
            for sp in bp["steps"]:
                for lg in sp["logs"]:
                    lg["result"] = next(it)
        if b["crashed"]:
            for sp in b["crashed"]["steps"]:
                for lg in sp["logs"]:
                    lg["result"] = next(it)
        b["ignored"] = res["ignored"]
        b["applied"] = res["irregular"]

    if T.v08:
        write_state_db(T, os.path.join(out, "state.sqlite"), rows, changes)
    else:
        data = changes_pck(T, changes)
        write_file(os.path.join(out, "changes.pck"), data, end)
    if T.v08:
        os.utime(os.path.join(out, "state.sqlite"), (end, end))
    write_file(os.path.join(out, "master.cfg"), (
        "# Synthetic Buildbot %s master written by bbmirror's "
        "bench/gen-master.py\n# (seed %d); only its status files "
        "matter.\nc = BuildmasterConfig = {}\n" % (T.name, opts.seed))
        .encode(), T.epoch)
    if opts.manifest:
        m = manifest(T, opts, kinds, plans, changes, rows)
        # json.dumps, unlike json.dump, uses the C encoder.
        text = json.dumps(m, ensure_ascii=False, sort_keys=True,
                          separators=(",", ":"))
        with open(opts.manifest, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
