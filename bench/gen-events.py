#!/usr/bin/env python3
"""gen-events.py: write a recording of live status events.

usage: gen-events.py --builds N --out FILE [--log-bytes B] [--master NAME]
           [--basedir DIR] [--pickles DIR] [--seed S] [--big-every K]

Runs the fake Buildbot 0.8.12 master of tests/plugin/fakemaster.py through
N builds (a realistic mix: several builders, two builds at a time, changes,
buildsets, requests, slaves connecting and pausing, logs on stdout, stderr
and header channels, HTML logs, warnings, failures, skipped steps,
exceptions and lost slaves, and on the 'bigoutput' builder every K-th build
a single log call over 1 MB that the plugin splits), with the real plugin
(plugin/bbmirror_status.py) attached in spool-only mode. The spool segments,
concatenated in order, are written to FILE: a recording for
bbmirror-replay (a hello frame, then event frames, with a hello again where
each segment starts). Prints the number of events and bytes.

--log-bytes B   mean stdout/stderr bytes per build (default 20000)
--master NAME   master name in the hello frames (default: basedir's last
                component)
--basedir DIR   basedir in the hello frames (default: the --pickles
                directory, else /home/buildbot/master)
--pickles DIR   also write the master base directory DIR (created): each
                builder's directory with its log files, the pickle of every
                finished build and, at the end, the builder pickles, for
                bbmirror-import to read the same builds
--seed S        random seed (default 1); the output depends only on the
                options
--big-every K   every K-th build of 'bigoutput' has the > 1 MB call
                (default 25; 0: never)

Runs under Python 3 or 2.7.
"""

import argparse
import os
import shutil
import sys
import tempfile
import time

# No .pyc files in the source tree.
sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "plugin"))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "plugin"))

import bbmirror_status  # noqa: E402
import fakemaster  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description="write a recording of live "
                                 "status events from a fake 0.8 master")
    ap.add_argument("--builds", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--log-bytes", type=int, default=20000)
    ap.add_argument("--master")
    ap.add_argument("--basedir")
    ap.add_argument("--pickles")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--big-every", type=int, default=25)
    args = ap.parse_args()

    if args.pickles:
        if os.path.exists(args.pickles) and os.listdir(args.pickles):
            ap.error("--pickles %s exists and is not empty" % args.pickles)
        basedir = os.path.abspath(args.pickles)
        if not os.path.isdir(basedir):
            os.makedirs(basedir)
    else:
        basedir = "/home/buildbot/master"
    hello_basedir = args.basedir or basedir
    master_name = args.master or \
        os.path.basename(os.path.normpath(hello_basedir))

    master = fakemaster.FakeMaster(basedir=basedir,
                                   write_files=bool(args.pickles))
    scenario = fakemaster.Scenario(master, seed=args.seed,
                                   log_bytes=args.log_bytes,
                                   big_every=args.big_every)
    scenario.setup()
    clock = master.clock
    spool = tempfile.mkdtemp(prefix="gen-events.")
    try:
        messages = []
        plugin = bbmirror_status.MirrorStatus(
            master=master_name, basedir=hello_basedir, spool_dir=spool,
            spool_max_bytes=1 << 62, log=messages.append, clock=clock.now,
            poll_interval=0)
        t0 = time.time()
        plugin.setServiceParent(master.status)
        scenario.run(args.builds)
        master.shutdown()
        plugin.disownServiceParent()
        if master.errors or plugin.problems:
            sys.stderr.write("gen-events: errors: %r\n%s\n" %
                             (master.errors, "\n".join(messages)))
            return 1
        events = plugin.spool.next_seq - 1
        names = sorted(n for n in os.listdir(spool) if n.endswith(".spool"))
        size = 0
        with open(args.out, "wb") as out:
            for n in names:
                with open(os.path.join(spool, n), "rb") as f:
                    data = f.read()
                out.write(data)
                size += len(data)
    finally:
        shutil.rmtree(spool, ignore_errors=True)
    print("%d events, %d bytes, %d builds, %d segments, %.1f s" %
          (events, size, scenario.nbuilds, len(names), time.time() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
