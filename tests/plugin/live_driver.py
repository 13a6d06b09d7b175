# -*- coding: utf-8 -*-
"""live_driver.py: runs the fake 0.8.12 master (fakemaster.py) with the real
plugin connected to a real bbmirrord, in phases that a shell test
(tests/integration/plugin-live.sh) steps through with files in STATE:

  phase 1   N1 builds with the listener up; waits until the listener has
            acknowledged every event; writes STATE/phase1.json (what the
            master did so far) and STATE/phase1.done; waits for
            STATE/phase2.go.
  phase 2   N2 more builds. After PAUSE master actions (in the middle of a
            build) it writes STATE/pause.done and waits for STATE/pause.go
            (the shell stops the listener meanwhile); the rest of the builds
            run with the listener down (spooled). Writes STATE/phase2.json
            and STATE/phase2.done; waits for STATE/phase3.go.
  phase 3   waits (at most --timeout seconds) until the listener, started
            again, has acknowledged every event; saves the builder pickles
            (a clean master shutdown); writes STATE/final.json and exits 0.

With --once it runs N1 builds, waits until they are acknowledged and
writes STATE/final.json (exit 0), or gives up after --timeout seconds
(exit 1, the plugin's log lines in STATE/log.txt). --tcp HOST:PORT and
--token connect over TCP instead of --socket.

The JSON files describe the master: every builder, build (with its steps
and logs: their log file paths), change, buildset, request and slave, the
number of events and the last sequence number, so the shell can compare
the mirror's rows with them. Python 2.7 or 3.
"""

import argparse
import json
import os
import sys
import time

# No .pyc files in the source tree.
sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "plugin"))
sys.path.insert(0, HERE)

import bbmirror_status  # noqa: E402
import fakemaster as fm  # noqa: E402


def u(s):
    return s.decode("utf-8") if isinstance(s, bytes) else s


def describe(master, plugin, scenario):
    builds = []
    for bname in master.builder_names:
        b = master.builders[bname]
        for s in scenario.done_builds:
            if s.builder is not b:
                continue
            steps = []
            for st in s.getSteps():
                logs = []
                for lg in st.getLogs():
                    logs.append({"name": u(lg.name),
                                 "path": lg.getFilename(),
                                 "html": isinstance(lg, fm.HTMLLogFile)})
                steps.append({"name": u(st.name), "results": st.results,
                              "started": st.started, "logs": logs})
            builds.append({"builder": u(bname), "number": s.number,
                           "started": s.started, "finished": s.finished,
                           "results": s.results, "steps": steps})
    return {
        "master": plugin.master_name,
        "basedir": master.basedir,
        "builders": [u(n) for n in master.builder_names],
        "builddirs": dict((u(n), os.path.basename(master.builders[n].basedir))
                          for n in master.builder_names),
        "builds": builds,
        "changes": len(master.changes),
        "buildsets": len(master.db.buildsets_rows),
        "requests": len(master.db.requests),
        "slaves": dict((u(k), v) for k, v in master.slaves.items()),
        "states": dict((u(n), master.builders[n].currentBigState)
                       for n in master.builder_names),
        "events": plugin.spool.next_seq - 1,
        "acked": plugin.spool.acked,
        "segments": len([n for n in os.listdir(plugin.spool.dir)
                         if n.endswith(".spool")]),
        "problems": plugin.problems,
        "errors": len(master.errors),
    }


class Driver(object):
    def __init__(self, args):
        self.args = args
        self.master = fm.FakeMaster(basedir=args.basedir, write_files=True,
                                    compress_limit=args.compress_limit)
        self.scenario = fm.Scenario(self.master, seed=args.seed,
                                    log_bytes=args.log_bytes,
                                    big_every=args.big_every)
        self.scenario.setup()
        self.logs = []
        self.plugin = bbmirror_status.MirrorStatus(
            socket=args.socket, tcp=args.tcp, token=args.token,
            spool_dir=args.spool, master=args.master,
            backoff_max=1.0, log=self.log, poll_interval=0)
        self.plugin.setServiceParent(self.master.status)

    def log(self, message):
        self.logs.append(message)
        sys.stderr.write("driver: %s\n" % message)

    def poll(self):
        self.plugin.poll()

    def wait_file(self, name):
        path = os.path.join(self.args.state, name)
        deadline = time.time() + self.args.timeout
        while not os.path.exists(path):
            if time.time() > deadline:
                raise SystemExit("driver: timed out waiting for %s" % path)
            self.poll()
            time.sleep(0.02)

    def wait_acked(self):
        spool = self.plugin.spool
        deadline = time.time() + self.args.timeout
        while spool.acked < spool.next_seq - 1:
            if time.time() > deadline:
                raise SystemExit("driver: only %d of %d events acknowledged "
                                 "after %d s" % (spool.acked,
                                                 spool.next_seq - 1,
                                                 self.args.timeout))
            self.poll()
            time.sleep(0.01)

    def mark(self, name, data=None):
        if data is not None:
            with open(os.path.join(self.args.state, name + ".json"),
                      "w") as f:
                json.dump(data, f, indent=1, sort_keys=True)
        open(os.path.join(self.args.state, name + ".done"), "w").close()

    def run(self, nbuilds, pause=None):
        for i, _ in enumerate(self.scenario.steps(nbuilds)):
            self.poll()
            if pause is not None and i == pause:
                self.mark("pause", describe(self.master, self.plugin,
                                            self.scenario))
                self.wait_file("pause.go")

    def once(self):
        self.run(self.args.builds1)
        try:
            self.wait_acked()
        except SystemExit as e:
            with open(os.path.join(self.args.state, "log.txt"), "w") as f:
                f.write("\n".join(self.logs) + "\n")
            sys.stderr.write("%s\n" % (e,))
            return 1
        self.plugin.disownServiceParent()
        self.mark("final", describe(self.master, self.plugin,
                                    self.scenario))
        return 0

    def main(self):
        a = self.args
        if a.once:
            return self.once()
        self.run(a.builds1)
        self.wait_acked()
        self.mark("phase1", describe(self.master, self.plugin,
                                     self.scenario))
        self.wait_file("phase2.go")
        self.run(a.builds2, pause=a.pause)
        self.master.slave_disconnected(b"bot2")
        self.mark("phase2", describe(self.master, self.plugin,
                                     self.scenario))
        self.wait_file("phase3.go")
        self.wait_acked()
        self.master.shutdown()
        self.plugin.disownServiceParent()
        self.mark("final", describe(self.master, self.plugin,
                                    self.scenario))
        return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--basedir", required=True)
    ap.add_argument("--socket")
    ap.add_argument("--tcp")
    ap.add_argument("--token")
    ap.add_argument("--once", action="store_true")
    ap.add_argument("--spool", required=True)
    ap.add_argument("--state", required=True)
    ap.add_argument("--master", default="fake-master")
    ap.add_argument("--builds1", type=int, default=6)
    ap.add_argument("--builds2", type=int, default=6)
    ap.add_argument("--pause", type=int, default=150)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--log-bytes", type=int, default=20000)
    ap.add_argument("--big-every", type=int, default=1)
    ap.add_argument("--compress-limit", type=int, default=None)
    ap.add_argument("--timeout", type=int, default=60)
    return Driver(ap.parse_args()).main()


if __name__ == "__main__":
    sys.exit(main())
