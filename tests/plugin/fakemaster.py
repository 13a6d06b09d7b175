# -*- coding: utf-8 -*-
"""fakemaster.py: fake Buildbot 0.8.12 status objects and a scenario driver.

The classes follow 0.8.12's status interfaces and attributes (module and
class names included, so a status plugin sends the real names): Status
(buildbot.status.master), BuilderStatus, BuildStatus, BuildStepStatus
(buildbot.status.builder), LogFile and HTMLLogFile (buildbot.status.logfile),
Event, Change, Properties, SourceStamp, BuildProgress/StepProgress,
BuildRequestStatus, BuildSetStatus. Their __getstate__ methods are 0.8.12's
(twisted's Versioned included), notifications happen in the same order and
with the same arguments as in 0.8.12, LogFile writes the master's chunk
format to a real file under the builder directory, and finished builds and
builders are saved as protocol 2 pickles the way cPickle writes old-style
instances (dump_pickle), so bbmirror-import can read what this master
writes.

Scenario drives a master through the kinds of call sequences a real 0.8.12
master makes (see shared/fixtures/status-events-sample.log): builders,
slaves connecting, pausing and leaving, changes, buildsets and requests,
interleaved builds with steps, logs on channels 0/1/2, HTML logs, warnings,
failures, skipped steps, exceptions and lost slaves, and a log over 1 MB.

Python 2.7 and 3. Values that are Python 2 str in a real master are bytes
here, unicode is unicode, so both interpreters produce the same objects.
"""

import bz2
import datetime
import io
import os
import random
import re
import struct
import sys

PY3 = sys.version_info[0] >= 3
if PY3:
    text_type = str
else:
    text_type = unicode     # noqa: F821

SUCCESS, WARNINGS, FAILURE, SKIPPED, EXCEPTION, RETRY = range(6)
STDOUT, STDERR, HEADER = 0, 1, 2
CHUNK_SIZE = 10000


def _b(s):
    """Python 2 str (UTF-8 bytes) from text."""
    if isinstance(s, bytes):
        return s
    return s.encode("utf-8")


def _u(s):
    if isinstance(s, bytes):
        return s.decode("utf-8")
    return s


class _UTC(datetime.tzinfo):
    def utcoffset(self, dt):
        return datetime.timedelta(0)

    def dst(self, dt):
        return datetime.timedelta(0)

    def tzname(self, dt):
        return "UTC"


UTC = _UTC()


def epoch2datetime(t):
    if t is None:
        return None
    return datetime.datetime.fromtimestamp(t, UTC)


class Clock(object):
    """The master's util.now(): simulated time, advanced by the driver."""

    def __init__(self, start=1763806237.5):
        self.t = start

    def now(self):
        return self.t

    def advance(self, dt):
        self.t = round(self.t + dt, 6)
        return self.t


class Deferred(object):
    """Enough of twisted's Deferred for the status API (0.8 reads request
    and buildset details from its database)."""
    __module__ = "twisted.internet.defer"

    def __init__(self):
        self.called = False
        self.result = None
        self.callbacks = []

    def addBoth(self, fn):
        self.callbacks.append(fn)
        if self.called:
            self._run()
        return self

    addCallback = addBoth

    def callback(self, result):
        self.called = True
        self.result = result
        self._run()

    def _run(self):
        while self.callbacks:
            fn = self.callbacks.pop(0)
            self.result = fn(self.result)


def succeed(value):
    d = Deferred()
    d.callback(value)
    return d


class DeferredLock(object):
    """A new-style instance inside SourceStamp pickles (NEWOBJ)."""
    __module__ = "twisted.internet.defer"
    locked = False

    def __init__(self):
        self.waiting = []


def _qual(c):
    return "%s.%s" % (c.__module__, c.__name__)


def _versioned_bases(c, out):
    for b in c.__bases__:
        _versioned_bases(b, out)
        if b is not Versioned and issubclass(b, Versioned) and b not in out:
            out.append(b)
    return out


class Versioned:
    """twisted.persisted.styles.Versioned (its __getstate__)."""
    __module__ = "twisted.persisted.styles"
    persistenceVersion = 0
    persistenceForgets = ()

    def __getstate__(self, dict=None):
        dct = (dict or self.__dict__).copy()
        bases = _versioned_bases(self.__class__, [])
        bases.reverse()
        bases.append(self.__class__)
        for base in bases:
            if "persistenceForgets" in base.__dict__:
                for slot in base.persistenceForgets:
                    if slot in dct:
                        del dct[slot]
            if "persistenceVersion" in base.__dict__:
                dct["%s.persistenceVersion" % _qual(base)] = \
                    base.persistenceVersion
        return dct


class Properties:
    __module__ = "buildbot.process.properties"

    def __init__(self, **kwargs):
        self.properties = {}
        self.runtime = set()
        self.build = None
        for k, v in kwargs.items():
            self.setProperty(k, v, "Properties")

    def __getstate__(self):
        d = self.__dict__.copy()
        d["build"] = None
        return d

    def __contains__(self, name):
        return name in self.properties

    def getProperty(self, name, default=None):
        return self.properties.get(name, (default,))[0]

    def getPropertySource(self, name):
        return self.properties[name][1]

    def setProperty(self, name, value, source, runtime=False):
        self.properties[name] = (value, source)
        if runtime:
            self.runtime.add(name)

    def asList(self):
        return [(k, v[0], v[1]) for k, v in sorted(self.properties.items())]

    def asDict(self):
        return dict(self.properties)


class SourceStamp(Versioned):
    __module__ = "buildbot.sourcestamp"
    persistenceVersion = 3

    def __init__(self, branch=None, revision=None, patch=None, changes=(),
                 project=u"", repository=u"", codebase=u"", ssid=None):
        self.branch = branch
        self.revision = revision
        self.patch = patch
        self.patch_info = None
        self.changes = tuple(changes)
        self.project = project
        self.repository = repository
        self.codebase = codebase
        self.sourcestampsetid = ssid
        self._addSourceStampToDatabase_lock = DeferredLock()


class Change:
    __module__ = "buildbot.changes.changes"

    def __init__(self, number, who, files, comments, revision, when, branch,
                 category=None, revlink=u"", repository=u"", project=u"",
                 codebase=u"", properties=None):
        self.number = number
        self.who = who
        self.comments = comments
        self.isdir = 0
        self.revision = revision
        self.when = when
        self.branch = branch
        self.category = category
        self.revlink = revlink
        self.properties = properties or Properties()
        self.repository = repository
        self.codebase = codebase
        self.project = project
        self.files = list(files)

    def __repr__(self):
        return "<Change #%d>" % self.number


class Event:
    __module__ = "buildbot.status.event"

    def __init__(self, started, text, finished=0):
        self.started = started
        self.finished = finished
        self.text = text


class StepProgress:
    __module__ = "buildbot.status.progress"

    def __init__(self, name, expected_output, expected_time):
        self.name = name
        self.progress = {"output": None}
        self.expectations = {"output": expected_output}
        self.expectedTime = expected_time
        self.buildProgress = None


class BuildProgress:
    __module__ = "buildbot.status.progress"

    def __init__(self, step_progresses):
        self.steps = {}
        for s in step_progresses:
            s.buildProgress = self
            self.steps[s.name] = s
        self.finishedSteps = []
        self.watchers = {}
        self.debug = 0


class _NullFile(object):
    """Where a LogFile writes when the fake master keeps no files."""

    def write(self, data):
        pass

    def flush(self):
        pass

    def close(self):
        pass


def _parse_chunks(data):
    chunks = []
    pos = 0
    while pos < len(data):
        colon = data.index(b":", pos)
        n = int(data[pos:colon])
        body = data[colon + 1:colon + 1 + n]
        chunks.append((int(body[:1]), body[1:]))
        pos = colon + 1 + n + 1
    return chunks


class LogFile:
    """buildbot.status.logfile.LogFile of 0.8.12: the text goes to the
    file <builder dir>/<filename> in chunks '<len>:<channel><text>,' of at
    most 10000 bytes, runs of one channel coalesced."""
    __module__ = "buildbot.status.logfile"
    finished = False
    length = 0
    nonHeaderLength = 0
    tailLength = 0
    chunkSize = CHUNK_SIZE
    runLength = 0
    logMaxSize = None
    logMaxTailSize = None
    maxLengthExceeded = False
    entries = None
    filename = None
    openfile = None

    def __init__(self, parent, name, logfilename):
        self.step = parent
        self.master = parent.build.builder.master
        self.name = name
        self.filename = logfilename
        if self.master.write_files:
            fn = self.getFilename()
            dirname = os.path.dirname(fn)
            if not os.path.exists(dirname):
                os.makedirs(dirname)
            self.openfile = open(fn, "w+b")
        elif self.master.keep_text or isinstance(self, HTMLLogFile):
            self.openfile = io.BytesIO()
        else:
            self.openfile = _NullFile()
        self.runEntries = []
        self.watchers = []
        self.finishedWatchers = []
        self.tailBuffer = []

    def getFilename(self):
        return os.path.join(self.step.build.builder.basedir,
                            _u(self.filename))

    def hasContents(self):
        return True

    def getName(self):
        return self.name

    def getStep(self):
        return self.step

    def isFinished(self):
        return self.finished

    def waitUntilFinished(self):
        d = Deferred()
        if self.finished:
            d.callback(self)
        else:
            self.finishedWatchers.append(d)
        return d

    def _file_data(self):
        f = self.openfile
        if isinstance(f, io.BytesIO):
            return f.getvalue()
        if isinstance(f, _NullFile):
            return b""
        fn = self.getFilename()
        if f is not None:
            f.flush()
        for suffix, opener in ((".bz2", bz2.BZ2File), ("", open)):
            if os.path.exists(fn + suffix):
                g = opener(fn + suffix, "rb")
                try:
                    return g.read()
                finally:
                    g.close()
        return b""

    def getChunks(self, channels=[], onlyText=False):
        chunks = _parse_chunks(self._file_data())
        chunks.extend(self.runEntries)
        out = []
        for channel, text in chunks:
            if channels and channel not in channels:
                continue
            out.append(text if onlyText else (channel, text))
        return iter(out)

    def getText(self):
        return b"".join(self.getChunks([STDOUT, STDERR], onlyText=True))

    def getTextWithHeaders(self):
        return b"".join(self.getChunks(onlyText=True))

    def subscribe(self, receiver, catchup):
        if self.finished:
            return
        self.watchers.append(receiver)
        if catchup:
            for channel, text in self.getChunks():
                receiver.logChunk(self.step.build, self.step, self, channel,
                                  text)

    def unsubscribe(self, receiver):
        if receiver in self.watchers:
            self.watchers.remove(receiver)

    def _merge(self):
        if not self.runEntries:
            return
        channel = self.runEntries[0][0]
        text = b"".join([c[1] for c in self.runEntries])
        f = self.openfile
        offset = 0
        while offset < len(text):
            size = min(len(text) - offset, self.chunkSize)
            f.write(("%d:%d" % (1 + size, channel)).encode("ascii"))
            f.write(text[offset:offset + size])
            f.write(b",")
            offset += size
        self.runEntries = []
        self.runLength = 0

    def addEntry(self, channel, text):
        assert not self.finished
        if isinstance(text, text_type):
            text = text.encode("utf-8")
        if self.runEntries and channel != self.runEntries[0][0]:
            self._merge()
        self.runEntries.append((channel, text))
        self.runLength += len(text)
        if self.runLength >= self.chunkSize:
            self._merge()
        for w in self.watchers:
            w.logChunk(self.step.build, self.step, self, channel, text)
        self.length += len(text)

    def addStdout(self, text):
        self.addEntry(STDOUT, text)

    def addStderr(self, text):
        self.addEntry(STDERR, text)

    def addHeader(self, text):
        self.addEntry(HEADER, text)

    def finish(self):
        self._merge()
        if self.openfile is not None:
            self.openfile.flush()
            if self.master.write_files:
                self.openfile.close()
                self.openfile = None
        self.finished = True
        watchers = self.finishedWatchers
        self.finishedWatchers = []
        for w in watchers:
            w.callback(self)
        self.watchers = []

    def compressLog(self):
        fn = self.getFilename()
        f = open(fn, "rb")
        data = f.read()
        f.close()
        g = bz2.BZ2File(fn + ".bz2.tmp", "wb")
        g.write(data)
        g.close()
        os.rename(fn + ".bz2.tmp", fn + ".bz2")
        os.unlink(fn)

    def __getstate__(self):
        d = self.__dict__.copy()
        del d["step"]
        del d["watchers"]
        del d["finishedWatchers"]
        del d["master"]
        d["entries"] = []
        if "finished" in d:
            del d["finished"]
        if "openfile" in d:
            del d["openfile"]
        return d


class HTMLLogFile(LogFile):
    """0.8.9+: an HTML document stored as stderr chunks of its file."""
    __module__ = "buildbot.status.logfile"

    def __init__(self, parent, name, logfilename, html):
        LogFile.__init__(self, parent, name, logfilename)
        self.addStderr(html)
        self.finish()


class BuildStepStatus(Versioned):
    __module__ = "buildbot.status.builder"
    persistenceVersion = 4
    persistenceForgets = ("wasUpgraded",)

    started = None
    finished = None
    progress = None
    text = []
    results = None
    text2 = []
    watchers = []
    updates = {}
    finishedWatchers = []
    statistics = {}
    step_number = None
    hidden = False

    def __init__(self, parent, master, step_number):
        self.build = parent
        self.step_number = step_number
        self.hidden = False
        self.logs = []
        self.urls = {}
        self.watchers = []
        self.updates = {}
        self.finishedWatchers = []
        self.statistics = {}
        self.skipped = False
        self.master = master
        self.waitingForLocks = False

    def __repr__(self):
        return "<BuildStepStatus %s>" % _u(self.name)

    def getName(self):
        return self.name

    def getBuild(self):
        return self.build

    def getLogs(self):
        return self.logs

    def getText(self):
        return self.text

    def getResults(self):
        return (self.results, self.text2)

    def isFinished(self):
        return self.finished is not None

    def getTimes(self):
        return (self.started, self.finished)

    def getURLs(self):
        return self.urls.copy()

    def getETA(self):
        return None

    def getExpectations(self):
        return [("output", None, None)]

    def setName(self, stepname):
        self.name = stepname

    def setProgress(self, stepprogress):
        self.progress = stepprogress

    def setHidden(self, hidden):
        self.hidden = hidden

    def setSkipped(self, skipped):
        self.skipped = skipped

    def setStatistic(self, name, value):
        self.statistics[name] = value

    def addURL(self, name, url):
        self.urls[name] = url

    def stepStarted(self):
        self.started = self.build.builder.master.clock.now()
        if self.build:
            self.build.stepStarted(self)

    def addLog(self, name):
        assert self.started
        logfilename = self.build.generateLogfileName(self.name, name)
        log = LogFile(self, name, logfilename)
        self.logs.append(log)
        for w in self.watchers:
            receiver = w.logStarted(self.build, self, log)
            if receiver:
                log.subscribe(receiver, True)
                log.waitUntilFinished().addCallback(
                    lambda l, r=receiver: l.unsubscribe(r))
        log.waitUntilFinished().addCallback(self.logFinished)
        return log

    def addHTMLLog(self, name, html):
        assert self.started
        logfilename = self.build.generateLogfileName(self.name, name)
        log = HTMLLogFile(self, name, logfilename, html)
        self.logs.append(log)
        for w in self.watchers:
            w.logStarted(self.build, self, log)
            w.logFinished(self.build, self, log)

    def logFinished(self, log):
        for w in self.watchers:
            w.logFinished(self.build, self, log)
        return log

    def setText(self, text):
        self.text = text
        for w in self.watchers:
            w.stepTextChanged(self.build, self, text)

    def setText2(self, text):
        self.text2 = text
        for w in self.watchers:
            w.stepText2Changed(self.build, self, text)

    def subscribe(self, receiver, updateInterval=10):
        assert receiver not in self.watchers
        self.watchers.append(receiver)
        self.sendETAUpdate(receiver, updateInterval)

    def sendETAUpdate(self, receiver, updateInterval=10):
        receiver.stepETAUpdate(self.build, self, self.getETA(),
                               self.getExpectations())

    def tick(self):
        """What reactor.callLater does every updateInterval seconds."""
        for w in list(self.watchers):
            self.sendETAUpdate(w)

    def unsubscribe(self, receiver):
        if receiver in self.watchers:
            self.watchers.remove(receiver)
        return self

    def waitUntilFinished(self):
        d = Deferred()
        if self.finished is not None:
            d.callback(self)
        else:
            self.finishedWatchers.append(d)
        return d

    def stepFinished(self, results):
        master = self.build.builder.master
        self.finished = master.clock.now()
        self.results = results
        for loog in self.logs:
            if not loog.isFinished():
                loog.finish()
        limit = master.compress_limit
        if limit is not None and master.write_files:
            for loog in self.logs:
                if os.path.getsize(loog.getFilename()) > limit:
                    loog.compressLog()
        watchers = self.finishedWatchers
        self.finishedWatchers = []
        for w in watchers:
            w.callback(self)

    def __getstate__(self):
        d = Versioned.__getstate__(self)
        del d["build"]
        if "progress" in d:
            del d["progress"]
        del d["watchers"]
        del d["finishedWatchers"]
        del d["updates"]
        del d["master"]
        return d


class BuildStatus(Versioned):
    __module__ = "buildbot.status.builder"
    persistenceVersion = 4
    persistenceForgets = ("wasUpgraded",)

    sources = None
    reason = None
    changes = []
    blamelist = []
    progress = None
    started = None
    finished = None
    currentStep = None
    text = []
    results = None
    slavename = "???"

    def __init__(self, parent, master, number):
        self.builder = parent
        self.master = master
        self.number = number
        self.watchers = []
        self.updates = {}
        self.finishedWatchers = []
        self.steps = []
        self.testResults = {}
        self.properties = Properties()

    def __repr__(self):
        return "<BuildStatus #%s>" % (self.number,)

    # IBuildStatus
    def getBuilder(self):
        return self.builder

    def getNumber(self):
        return self.number

    def getProperty(self, propname, default=None):
        return self.properties.getProperty(propname, default)

    def getProperties(self):
        return self.properties

    def getSourceStamps(self):
        return list(self.sources)

    def getReason(self):
        return self.reason

    def getChanges(self):
        return self.changes

    def getResponsibleUsers(self):
        return self.blamelist

    def getSteps(self):
        return self.steps

    def getTimes(self):
        return (self.started, self.finished)

    def getCurrentStep(self):
        return self.currentStep

    def getText(self):
        text = []
        text.extend(self.text)
        for s in self.steps:
            text.extend(s.text2)
        return text

    def getResults(self):
        return self.results

    def getSlavename(self):
        return self.slavename

    def getTestResults(self):
        return self.testResults

    def isFinished(self):
        return self.finished is not None

    def waitUntilFinished(self):
        d = Deferred()
        if self.finished is not None:
            d.callback(self)
        else:
            self.finishedWatchers.append(d)
        return d

    # setup
    def addStepWithName(self, name):
        s = BuildStepStatus(self, self.master, len(self.steps))
        s.setName(name)
        self.steps.append(s)
        return s

    def generateLogfileName(self, stepname, logname):
        starting = "%d-log-%s-%s" % (self.number, _u(stepname), _u(logname))
        starting = re.sub(r"[^\w\.\-]", "_", starting, flags=re.ASCII) \
            if PY3 else re.sub(r"[^\w\.\-]", "_", starting)
        unique = 0
        filename = starting
        taken = [l.filename for step in self.steps for l in step.getLogs()
                 if l.filename]
        while _b(filename) in taken:
            filename = "%s_%d" % (starting, unique)
            unique += 1
        return _b(filename)

    def setSourceStamps(self, sourceStamps):
        self.sources = sourceStamps
        self.changes = []
        for source in self.sources:
            self.changes.extend(source.changes)

    def setReason(self, reason):
        self.reason = reason

    def setBlamelist(self, blamelist):
        self.blamelist = blamelist

    def setProgress(self, progress):
        self.progress = progress

    def setSlavename(self, slavename):
        self.slavename = slavename

    def setText(self, text):
        self.text = text

    def setResults(self, results):
        self.results = results

    def buildStarted(self, build):
        self.started = self.master.clock.now()
        self.builder.buildStarted(self)

    def stepStarted(self, step):
        self.currentStep = step
        for w in self.watchers:
            receiver = w.stepStarted(self, step)
            if receiver:
                if type(receiver) == type(()):
                    step.subscribe(receiver[0], receiver[1])
                else:
                    step.subscribe(receiver)
                step.waitUntilFinished().addCallback(
                    lambda s, r=receiver: s.unsubscribe(
                        r[0] if type(r) == type(()) else r))
        step.waitUntilFinished().addCallback(self._stepFinished)

    def _stepFinished(self, step):
        results = step.getResults()
        for w in self.watchers:
            w.stepFinished(self, step, results)

    def buildFinished(self):
        self.currentStep = None
        self.finished = self.master.clock.now()
        watchers = self.finishedWatchers
        self.finishedWatchers = []
        for w in watchers:
            w.callback(self)

    def subscribe(self, receiver, updateInterval=None):
        self.watchers.append(receiver)
        if updateInterval is not None:
            self.sendETAUpdate(receiver, updateInterval)

    def sendETAUpdate(self, receiver, updateInterval):
        receiver.buildETAUpdate(self, 42.5)

    def unsubscribe(self, receiver):
        if receiver in self.watchers:
            self.watchers.remove(receiver)

    def saveYourself(self):
        if not self.master.write_files:
            return
        filename = os.path.join(self.builder.basedir, "%d" % self.number)
        tmp = filename + ".tmp"
        f = open(tmp, "wb")
        try:
            f.write(dump_pickle(self))
        finally:
            f.close()
        os.rename(tmp, filename)

    def __getstate__(self):
        d = Versioned.__getstate__(self)
        if not self.finished:
            d["finished"] = self.master.clock.now()
        for k in ["builder", "watchers", "updates", "finishedWatchers",
                  "master"]:
            if k in d:
                del d[k]
        return d


class BuilderStatus(Versioned):
    __module__ = "buildbot.status.builder"
    persistenceVersion = 2

    category = None
    currentBigState = "offline"
    basedir = None

    def __init__(self, buildername, tags, master, description):
        self.name = buildername
        self.tags = tags
        self.description = description
        self.master = master
        self.slavenames = []
        self.events = []
        self.lastBuildStatus = None
        self.currentBuilds = []
        self.nextBuild = None
        self.watchers = []
        self.buildCache = {}

    def __repr__(self):
        return "<BuilderStatus %s>" % _u(self.name)

    def __getstate__(self):
        # 0.8.12's, including its side effect: running builds are saved.
        d = Versioned.__getstate__(self)
        d["watchers"] = []
        del d["buildCache"]
        for b in self.currentBuilds:
            b.saveYourself()
        del d["currentBuilds"]
        d.pop("pendingBuilds", None)
        del d["currentBigState"]
        del d["basedir"]
        del d["status"]
        del d["nextBuildNumber"]
        del d["master"]
        return d

    def saveYourself(self):
        if not self.master.write_files:
            return
        filename = os.path.join(self.basedir, "builder")
        tmp = filename + ".tmp"
        f = open(tmp, "wb")
        try:
            f.write(dump_pickle(self))
        finally:
            f.close()
        os.rename(tmp, filename)

    def getName(self):
        return self.name

    def getState(self):
        return (self.currentBigState, self.currentBuilds)

    def getSlaves(self):
        return list(self.slavenames)

    def getCurrentBuilds(self):
        return self.currentBuilds

    def getBuild(self, number):
        return self.buildCache.get(number)

    def getLastFinishedBuild(self):
        for n in sorted(self.buildCache, reverse=True):
            b = self.buildCache[n]
            if b.isFinished():
                return b
        return None

    def subscribe(self, receiver):
        self.watchers.append(receiver)
        receiver.builderChangedState(self.name, self.currentBigState)

    def unsubscribe(self, receiver):
        if receiver in self.watchers:
            self.watchers.remove(receiver)

    def addPointEvent(self, text):
        e = Event(self.master.clock.now(), text)
        self.events.append(e)
        del self.events[:-50]
        return e

    def setBigState(self, state):
        self.currentBigState = state
        for w in self.watchers:
            w.builderChangedState(self.name, state)

    def newBuild(self):
        s = BuildStatus(self, self.master, self.nextBuildNumber)
        self.nextBuildNumber += 1
        return s

    def buildStarted(self, s):
        self.currentBuilds.append(s)
        self.buildCache[s.number] = s
        for n in sorted(self.buildCache)[:-5]:
            if self.buildCache[n] not in self.currentBuilds:
                del self.buildCache[n]
        for w in self.watchers:
            receiver = w.buildStarted(self.getName(), s)
            if receiver:
                if type(receiver) == type(()):
                    s.subscribe(receiver[0], receiver[1])
                else:
                    s.subscribe(receiver)
                s.waitUntilFinished().addCallback(
                    lambda b, r=receiver: b.unsubscribe(
                        r[0] if type(r) == type(()) else r))
        s.waitUntilFinished().addCallback(self._buildFinished)

    def _buildFinished(self, s):
        s.saveYourself()
        self.currentBuilds.remove(s)
        name = self.getName()
        results = s.getResults()
        for w in self.watchers:
            try:
                w.buildFinished(name, s, results)
            except Exception:
                self.master.errors.append(("buildFinished", w))
        return s


class BuildRequestStatus:
    __module__ = "buildbot.status.buildrequest"

    def __init__(self, buildername, brid, status, brdict=None):
        self.buildername = buildername
        self.brid = brid
        self.status = status
        self.master = status.master
        self._brdict = brdict
        self._buildrequest = None
        self._buildrequest_lock = DeferredLock()

    def getBuilderName(self):
        return self.buildername

    def getBsid(self):
        return self.master.db.later(self.master.db.requests[self.brid]["bsid"])

    def getSubmitTime(self):
        return self.master.db.later(
            self.master.db.requests[self.brid]["submitted_at"])


class BuildSetStatus:
    __module__ = "buildbot.status.buildset"

    def __init__(self, bsdict, status):
        self.id = bsdict["bsid"]
        self.bsdict = bsdict
        self.status = status
        self.master = status.master

    def getReason(self):
        return self.bsdict["reason"]

    def getResults(self):
        return self.bsdict["results"]

    def getID(self):
        return self.bsdict["external_idstring"]

    def isFinished(self):
        return self.bsdict["complete"]


class FakeDB(object):
    """The bits of master.db the status objects read. delay=True makes
    every read a Deferred that fires when run_pending() is called (as when
    the real database answers later)."""

    def __init__(self):
        self.buildsets_rows = {}
        self.requests = {}
        self.delay = False
        self.pending = []
        self.buildsets = self

    def later(self, value):
        d = Deferred()
        if self.delay:
            self.pending.append((d, value))
        else:
            d.callback(value)
        return d

    def run_pending(self):
        pending, self.pending = self.pending, []
        for d, value in pending:
            d.callback(value)

    def getBuildsetProperties(self, bsid):
        return self.later(dict(self.buildsets_rows[bsid]["properties"]))


class Status(object):
    """buildbot.status.master.Status: what status receivers subscribe to;
    it is also their service parent."""
    __module__ = "buildbot.status.master"

    def __init__(self, master):
        self.master = master
        self.basedir = master.basedir
        self.watchers = []
        self.services = []
        self.running = 1

    def getBuilderNames(self, tags=None):
        return list(self.master.builder_names)

    def getBuilder(self, name):
        return self.master.builders[name]

    def getSlaveNames(self):
        return list(self.master.slaves)

    def subscribe(self, target):
        self.watchers.append(target)
        for name in self.master.builder_names:
            self.announceNewBuilder(target, name, self.getBuilder(name))

    def unsubscribe(self, target):
        if target in self.watchers:
            self.watchers.remove(target)

    def announceNewBuilder(self, target, name, builder_status):
        t = target.builderAdded(name, builder_status)
        if t:
            builder_status.subscribe(t)

    def addService(self, svc):
        self.services.append(svc)
        if self.running:
            svc.startService()

    def removeService(self, svc):
        self.services.remove(svc)
        return svc.stopService()

    def _each(self, method, *args):
        for t in list(self.watchers):
            fn = getattr(t, method, None)
            if fn is not None:
                try:
                    fn(*args)
                except Exception:
                    self.master.errors.append((method, t))


def safe_translate(name):
    """0.8's default builddir: listed bytes become '_'."""
    out = bytearray()
    for c in bytearray(_b(name)):
        out.append(0x5f if c in bytearray(b"\t !#$%&'()*+,./:;<=>?@[\\]^{|}~")
                   else c)
    return bytes(out)


class FakeMaster(object):
    """A master: basedir (files written there when write_files), builders,
    slaves, the fake database, the clock and Status. keep_text keeps log
    text in memory when no files are written (HTML logs always need it)."""

    def __init__(self, basedir="/home/buildbot/master", write_files=False,
                 clock=None, compress_limit=None, keep_text=False):
        self.basedir = os.path.abspath(basedir)
        self.write_files = write_files
        self.keep_text = keep_text
        self.compress_limit = compress_limit
        self.clock = clock or Clock()
        self.db = FakeDB()
        self.builders = {}
        self.builder_names = []
        self.slaves = {}
        self.errors = []
        self.changes = []
        self.next_brid = 1
        self.next_bsid = 1
        self.next_ssid = 1
        self.status = Status(self)

    def add_builder(self, name, slavenames, tags=None, description=None,
                    builddir=None):
        name = _b(name)
        b = BuilderStatus(name, tags, self, description)
        b.slavenames = [_b(s) for s in slavenames]
        b.basedir = os.path.join(self.basedir,
                                 _u(builddir or safe_translate(name)))
        b.status = self.status
        b.nextBuildNumber = 0
        b.pendingBuilds = []
        b.setBigState("offline")
        if self.write_files and not os.path.isdir(b.basedir):
            os.makedirs(b.basedir)
        b.addPointEvent([b"builder", b"created"])
        self.builders[name] = b
        self.builder_names.append(name)
        for w in list(self.status.watchers):
            self.status.announceNewBuilder(w, name, b)
        return b

    def builder(self, name):
        return self.builders[_b(name)]

    def slave_connected(self, name):
        name = _b(name)
        self.slaves[name] = "connected"
        for b in self.builders.values():
            if name in b.slavenames:
                b.addPointEvent([b"connect", name])
        self.status._each("slaveConnected", name)
        for bn in self.builder_names:
            b = self.builders[bn]
            if name in b.slavenames and b.currentBigState == "offline":
                b.setBigState("idle")

    def slave_disconnected(self, name):
        name = _b(name)
        self.slaves[name] = "disconnected"
        for b in self.builders.values():
            if name in b.slavenames:
                b.addPointEvent([b"disconnect", name])
        self.status._each("slaveDisconnected", name)
        for bn in self.builder_names:
            b = self.builders[bn]
            others = [s for s in b.slavenames
                      if self.slaves.get(s) == "connected"]
            if not others and b.currentBigState == "idle":
                b.setBigState("offline")

    def slave_paused(self, name):
        self.status._each("slavePaused", _b(name))

    def slave_unpaused(self, name):
        self.status._each("slaveUnpaused", _b(name))

    def add_change(self, who, files, comments, revision, branch=u"trunk",
                   repository=u"git://git.example.org/widget.git",
                   properties=None):
        number = len(self.changes) + 1
        props = Properties()
        for k, v in (properties or {}).items():
            props.setProperty(k, v, u"Change")
        c = Change(number, who, files, comments, revision,
                   self.clock.now(), branch, category=None,
                   revlink=u"http://git.example.org/widget/commit/%s" %
                   revision, repository=repository, project=u"widget",
                   codebase=u"", properties=props)
        self.changes.append(c)
        self.status._each("changeAdded", c)
        return c

    def submit(self, builder_names, reason, changes=(), properties=None,
               external_idstring=None):
        """A buildset with one request per builder: requestSubmitted for
        each (to the builder's watchers), then buildsetSubmitted (0.8 reads
        the buildset back from its database first). Returns (bsid,
        [brid])."""
        bsid = self.next_bsid
        self.next_bsid += 1
        now = self.clock.now()
        props = {}
        for k, v in (properties or {}).items():
            props[k] = v
        self.db.buildsets_rows[bsid] = {
            "bsid": bsid, "external_idstring": external_idstring,
            "reason": reason, "sourcestampsetid": bsid,
            "submitted_at": epoch2datetime(now), "complete": False,
            "complete_at": None, "results": -1, "properties": props,
            "changes": list(changes)}
        brids = []
        for bn in builder_names:
            bn = _b(bn)
            brid = self.next_brid
            self.next_brid += 1
            self.db.requests[brid] = {"bsid": bsid, "buildername": bn,
                                      "submitted_at": now}
            brids.append(brid)
            brs = BuildRequestStatus(bn, brid, self.status)
            for w in list(self.builders[bn].watchers):
                w.requestSubmitted(brs)
        bss = BuildSetStatus(dict(self.db.buildsets_rows[bsid]), self.status)
        del bss.bsdict["properties"]
        del bss.bsdict["changes"]
        self.status._each("buildsetSubmitted", bss)
        return bsid, brids

    def shutdown(self):
        """Saves every builder pickle, as a clean master stop does."""
        for bn in self.builder_names:
            b = self.builders[bn]
            b.addPointEvent([b"master", b"shutdown"])
            b.saveYourself()


# ---------------------------------------------------------------------------
# Pickles as cPickle.dump(obj, f, -1) writes them for 0.8's objects.

def _oldstyle(obj):
    if PY3:
        return False
    import types
    return type(obj) is types.InstanceType


_FAKE_OLDSTYLE = None


def _is_fake_inst(obj):
    global _FAKE_OLDSTYLE
    if _FAKE_OLDSTYLE is None:
        _FAKE_OLDSTYLE = (Versioned, Properties, Change, Event, StepProgress,
                          BuildProgress, LogFile, BuildRequestStatus,
                          BuildSetStatus)
    if _oldstyle(obj):
        return True
    return isinstance(obj, _FAKE_OLDSTYLE)


class _Pickler(object):
    def __init__(self):
        self.out = bytearray()
        self.memo = {}
        self.keep = []
        self.gmemo = {}

    def dumps(self, obj):
        self.out += b"\x80\x02"
        self.save(obj)
        self.out += b"."
        return bytes(self.out)

    def put(self, obj):
        n = len(self.memo) + len(self.gmemo) + 1
        self.memo[id(obj)] = n
        self.keep.append(obj)
        self._put(n)

    def _put(self, n):
        if n < 256:
            self.out += struct.pack("<cB", b"q", n)
        else:
            self.out += struct.pack("<cI", b"r", n)

    def get(self, n):
        if n < 256:
            self.out += struct.pack("<cB", b"h", n)
        else:
            self.out += struct.pack("<cI", b"j", n)

    def save(self, obj):
        t = type(obj)
        if obj is None:
            self.out += b"N"
        elif t is bool:
            self.out += b"\x88" if obj else b"\x89"
        elif t is int or (not PY3 and t is long):     # noqa: F821
            if 0 <= obj < 256:
                self.out += struct.pack("<cB", b"K", obj)
            elif 0 <= obj < 65536:
                self.out += struct.pack("<cH", b"M", obj)
            elif -2 ** 31 <= obj < 2 ** 31:
                self.out += struct.pack("<ci", b"J", obj)
            else:
                self.out += ("I%d\n" % obj).encode("ascii")
        elif t is float:
            self.out += struct.pack(">cd", b"G", obj)
        elif t is bytes:
            if len(obj) < 256:
                self.out += struct.pack("<cB", b"U", len(obj)) + obj
            else:
                self.out += struct.pack("<cI", b"T", len(obj)) + obj
        elif t is text_type:
            d = obj.encode("utf-8")
            self.out += struct.pack("<cI", b"X", len(d)) + d
        elif t is tuple:
            n = len(obj)
            if n == 0:
                self.out += b")"
                return
            if n > 3:
                self.out += b"("
            for x in obj:
                self.save(x)
            self.out += (b"t", b"\x85", b"\x86", b"\x87")[n] if n <= 3 \
                else b"t"
        elif id(obj) in self.memo:
            self.get(self.memo[id(obj)])
        elif t is list:
            self.out += b"]"
            self.put(obj)
            self._items(obj, b"a", b"e")
        elif t is dict:
            self.out += b"}"
            self.put(obj)
            if len(obj) == 1:
                for k, v in obj.items():
                    self.save(k)
                    self.save(v)
                self.out += b"s"
            elif obj:
                self.out += b"("
                for k, v in obj.items():
                    self.save(k)
                    self.save(v)
                self.out += b"u"
        elif t is set:
            self.glob(b"__builtin__", b"set")
            self.out += b"]"
            items = list(obj)
            self._items(items, b"a", b"e")
            self.out += b"\x85R"
            self.put(obj)
        elif t is DeferredLock:
            self.glob(_b(t.__module__), _b(t.__name__))
            self.out += b")\x81"
            self.put(obj)
            state = dict([(_b(k), v) for k, v in obj.__dict__.items()])
            self.keep.append(state)
            self.save(state)
            self.out += b"b"
        elif _is_fake_inst(obj):
            cls = obj.__class__
            self.out += b"("
            self.glob(_b(cls.__module__), _b(cls.__name__))
            self.out += b"o"
            self.put(obj)
            gs = getattr(cls, "__getstate__", None)
            if gs is None or gs is getattr(object, "__getstate__", None):
                state = obj.__dict__
            else:
                state = obj.__getstate__()
            if PY3 and type(state) is dict:
                # Attribute names are str in Python 2: bytes here.
                state = dict([(k.encode("utf-8") if isinstance(k, str)
                               else k, v) for k, v in state.items()])
            self.keep.append(state)
            self.save(state)
            self.out += b"b"
        else:
            raise TypeError("cannot pickle %r" % (obj,))

    def _items(self, items, one, many):
        if len(items) == 1:
            self.save(items[0])
            self.out += one
        elif items:
            self.out += b"("
            for x in items:
                self.save(x)
            self.out += many

    def glob(self, module, name):
        key = (module, name)
        if key in self.gmemo:
            self.get(self.gmemo[key])
            return
        self.out += b"c" + module + b"\n" + name + b"\n"
        n = len(self.memo) + len(self.gmemo) + 1
        self.gmemo[key] = n
        self._put(n)


def register_modules():
    """Makes the fake classes importable under their 0.8 names (modules
    created in sys.modules, never replacing a module that exists), so that
    the standard pickle module can load dump_pickle's output, and under
    Python 2 pickle.dumps(obj, 2) writes what the master's cPickle writes.
    Returns the names of the modules created."""
    import types
    created = []
    for cls in (Versioned, Properties, SourceStamp, Change, Event,
                StepProgress, BuildProgress, LogFile, HTMLLogFile,
                BuildStepStatus, BuildStatus, BuilderStatus,
                BuildRequestStatus, BuildSetStatus, DeferredLock, Deferred,
                Status):
        name = cls.__module__
        mod = sys.modules.get(name)
        if mod is None:
            try:
                __import__(name)
                continue
            except ImportError:
                pass
            parts = name.split(".")
            for i in range(1, len(parts) + 1):
                sub = ".".join(parts[:i])
                if sub not in sys.modules:
                    sys.modules[sub] = types.ModuleType(sub)
                    created.append(sub)
            mod = sys.modules[name]
        if name in created and getattr(mod, cls.__name__, None) is None:
            setattr(mod, cls.__name__, cls)
    return created


def dump_pickle(obj):
    """Protocol 2 pickle bytes of a fake status object, as the master's
    cPickle.dump(obj, f, -1) writes it (old-style instances: MARK GLOBAL
    OBJ, BUILD of their __getstate__)."""
    return _Pickler().dumps(obj)


# ---------------------------------------------------------------------------
# The scenario driver.

BUILDERS = [
    # name, kind, slaves
    (b"runtests", "tests", [b"bot1"]),
    (b"deploy", "deploy", [b"bot1"]),
    (b"package", "package", [b"bot2"]),
    (b"bigoutput", "big", [b"bot2"]),
    (u"d\u00e9bian sid (arm~cross)".encode("utf-8"), "tests",
     [b"bot1", b"bot2"]),
]

AUTHORS = [u"Jos\u00e9 \u00d1\u00fa\u00f1ez <jose@example.org>",
           u"\u674e\u56db <lisi@example.cn>", u"dustin <dustin@v.igoro.us>",
           u"Ada Lovelace <ada@example.org>"]

COMMENTS = [u"fix build on \u2603 platforms", u"typo",
            u"log reader: handle a truncated last chunk\n\nReported-by: "
            u"Zo\u00eb", u"Merge branch 'release-1.2'"]

FILES = [u"src/main.c", u"src/caf\u00e9.c", u"tests/test_parser.py",
         u"docs/index.rst", u"Makefile.am"]

LINES = [
    b"compiling src/app.c\n", b"gcc -O2 -Wall -c src/parser.c -o parser.o\n",
    b"test_main ... ok\n", b"test_unicode ... ok\n",
    u"UTF-8 text: Gr\u00fc\u00dfe, \u65e5\u672c\u8a9e\n".encode("utf-8"),
    b"invalid UTF-8: \xff\xfe | \xc3( | \xc0\xaf end\n",
    b"\x1b[31mANSI red\x1b[0m and a tab\there\r\n",
    b"make[2]: Entering directory '/srv/buildbot/slave/runtests/build'\n",
    b"  CC       lib/util.o\n", b"ok 17 - frame decoder refuses length 0\n",
]

WARNING_LINES = [b"src/parser.c:120: warning: unused variable 'n'\n",
                 b"src/util.c:33: warning: comparison is always true\n"]


def _header(cmd, workdir):
    return (u"%s\n in dir %s (timeout 1200 secs)\n watching logfiles {}\n"
            u" argv: %r\n environment:\n  HOME=/srv/buildbot/home\n"
            u"  LANG=C.UTF-8\n  PATH=/usr/local/bin:/usr/bin:/bin\n"
            u" using PTY: False\n" % (cmd, workdir, cmd.split())
            ).encode("utf-8")


class Scenario(object):
    """Drives a FakeMaster like a real 0.8.12 master. steps() yields after
    every master action, so a driver can poll a plugin, stop a listener
    or count events between them; run(n) runs n more builds.

    log_bytes: mean stdout/stderr bytes of one build's logs. big_every:
    builds 0, K, 2K... of the 'bigoutput' builder write one log call over
    1 MB (PROTOCOL_CHUNK_SPLIT); 0: never. The first five builds of the
    'tests' builders end in RETRY, WARNINGS, FAILURE, EXCEPTION, SUCCESS,
    later ones at random."""

    def __init__(self, master, seed=1, log_bytes=20000, big_every=25,
                 parallel=2, html=True):
        self.m = master
        self.rng = random.Random(seed)
        self.log_bytes = log_bytes
        self.big_every = big_every
        self.parallel = parallel
        self.html = html
        self.started = False
        self.nbuilds = 0
        self.active = []
        self.done_builds = []
        self.outcomes = {}
        self.tests_builds = 0

    def setup(self):
        """The master's configuration: builders (before any receiver)."""
        for name, kind, slaves in BUILDERS:
            if name not in self.m.builders:
                self.m.add_builder(name, slaves, tags=[b"ci"],
                                   description=b"the %s builder" % _b(kind))
                self.outcomes[name] = kind

    def start(self):
        """Master start: slaves connect, builders go idle."""
        self.setup()
        for s in (b"bot1", b"bot2"):
            self.m.clock.advance(0.5)
            self.m.slave_connected(s)
        self.started = True

    def kind(self, builder_name):
        return self.outcomes[builder_name]

    # -- one build as a generator of master actions

    def _outcome(self):
        r = self.rng.random()
        if r < 0.70:
            return SUCCESS
        if r < 0.80:
            return WARNINGS
        if r < 0.90:
            return FAILURE
        if r < 0.95:
            return EXCEPTION
        return RETRY

    def _chunks_of(self, total):
        """Log output of about total bytes as (channel, text) calls."""
        calls = []
        left = total
        rng = self.rng
        while left > 0:
            piece = []
            n = 0
            want = min(left, rng.choice((60, 200, 800, 2000, 4000, 12000)))
            while n < want:
                line = rng.choice(LINES)
                piece.append(line)
                n += len(line)
            channel = STDERR if rng.random() < 0.15 else STDOUT
            calls.append((channel, b"".join(piece)))
            left -= n
        return calls

    def _shell(self, step, cmd, output, exit_code=0, logname=b"stdio"):
        """A ShellCommand's stdio; exit_code None: the slave was lost
        (no trailer, the log is left for stepFinished to finish)."""
        clock = self.m.clock
        log = step.addLog(logname)
        yield
        log.addHeader(_header(cmd, u"/srv/buildbot/slave/build"))
        for channel, text in output:
            clock.advance(0.01)
            log.addEntry(channel, text)
            yield
        if exit_code is None:
            return
        log.addHeader(("program finished with exit code %d\n" %
                       exit_code).encode("ascii"))
        log.addHeader(("elapsedTime=%0.6f\n" % self.rng.uniform(0.01, 9))
                      .encode("ascii"))
        log.finish()
        yield

    def build(self, bname, request):
        """Generator: one build of builder bname, from start to finish."""
        m = self.m
        clock = m.clock
        rng = self.rng
        b = m.builders[bname]
        kind = self.outcomes[bname]
        b.setBigState("building")
        yield
        s = b.newBuild()
        bsid, _, changes, reason = request
        if kind == "tests" and self.tests_builds < 5:
            # Every outcome early on, then a random mix.
            outcome = (RETRY, WARNINGS, FAILURE, EXCEPTION,
                       SUCCESS)[self.tests_builds]
        else:
            outcome = self._outcome() if kind != "deploy" else SUCCESS
        if kind == "tests":
            self.tests_builds += 1
        big = kind == "big"
        # Step plan: (name, command, words).
        plan = [(b"git", u"git fetch origin trunk", [b"update"])]
        if kind in ("tests", "big"):
            plan += [(b"get-version", u"git describe --always --tags HEAD",
                      [b"property", b"'code_version'", b"set"]),
                     (b"compile", u"make -j4 all", [b"compile"]),
                     (b"unit-tests", u"make check", [b"tests"]),
                     (b"test-results", None, [b"tests", b"3 run"]),
                     (b"upload", u"rsync -a dist/ upload@example.org:/",
                      [b"upload"]),
                     (b"cleanup", u"rm -rf build", [b"cleanup"])]
        elif kind == "package":
            plan += [(b"package", u"make dist", [b"package"]),
                     (b"checksum", u"sha256sum dist/*", [b"checksum"])]
        else:
            plan += [(b"master-side", u"true", [b"master-side"]),
                     (b"deploy", u"./deploy.sh", [b"deployed"])]
        steps = [s.addStepWithName(p[0]) for p in plan]
        slave = b.slavenames[s.number % len(b.slavenames)]
        s.setSlavename(slave)
        s.setReason(reason)
        ss = SourceStamp(branch=u"trunk",
                         revision=changes[-1].revision if changes else None,
                         changes=changes, project=u"widget",
                         repository=u"git://git.example.org/widget.git",
                         ssid=bsid)
        s.setSourceStamps([ss])
        s.setBlamelist(sorted(set([c.who for c in changes])))
        props = s.getProperties()
        for k, v, src in ((b"buildername", bname, b"Builder"),
                          (b"buildnumber", s.number, b"Build"),
                          (b"slavename", slave, b"BuildSlave"),
                          (b"branch", u"trunk", b"Build"),
                          (b"revision", ss.revision, b"Build"),
                          (b"repository", ss.repository, b"Build"),
                          (b"project", u"widget", b"Build"),
                          (b"codebase", u"", b"Build"),
                          (u"scheduler", u"all", u"Scheduler"),
                          (b"workdir", b"/srv/buildbot/slave/" +
                           safe_translate(bname), b"slave")):
            props.setProperty(k, v, src)
        if reason.startswith(u"A build was forced"):
            props.setProperty(u"owner", AUTHORS[0], u"Force Build Form")
            props.setProperty(b"owners", [AUTHORS[0]], u"Force Build Form")
        sp = [StepProgress(p[0], rng.randint(100, 5000), rng.uniform(1, 60))
              for p in plan]
        s.setProgress(BuildProgress(sp))
        clock.advance(0.2)
        s.buildStarted(s)
        yield
        if rng.random() < 0.1:
            clock.advance(5)
            for w in list(s.watchers):
                s.sendETAUpdate(w, 5)
            yield
        budget = self.log_bytes
        results = SUCCESS
        build_text = [b"build", b"successful"]
        failed = None
        for i, (name, cmd, words) in enumerate(plan):
            st = steps[i]
            if failed is not None:
                # haltOnFailure: the remaining steps never start.
                continue
            clock.advance(0.05)
            st.stepStarted()
            yield
            if name == b"upload" and outcome != SUCCESS:
                st.setText([b"skipped"])
                st.setSkipped(True)
                st.stepFinished(SKIPPED)
                yield
                continue
            st.setText(self._describe(cmd) if cmd else [b"running"])
            yield
            code = SUCCESS
            share = budget // max(1, len(plan) - 1)
            if name in (b"compile", b"unit-tests", b"package", b"deploy"):
                share = budget // 2
            output = self._chunks_of(rng.randint(share // 2 + 1,
                                                 share * 3 // 2 + 2))
            if name == b"git":
                output = [(STDOUT, b"HEAD is now at c96104a initial import\n")]
            if name == b"get-version":
                output = [(STDOUT, b"c96104a\n")]
            if big and name == b"unit-tests" and self.big_every and \
                    s.number % self.big_every == 0:
                big_text = b"".join([LINES[k % len(LINES)]
                                     for k in range(60000)])
                output = [(STDOUT, big_text[:1500000])] + output[:2]
            exc = None
            if cmd is not None:
                if name == b"compile" and outcome == WARNINGS:
                    output = output + [(STDERR, rng.choice(WARNING_LINES))]
                if name == b"unit-tests" and outcome == FAILURE:
                    output = output + [(STDOUT, b"FAILED (failures=1)\n")]
                if name == b"unit-tests" and outcome == RETRY:
                    exc = RETRY
                if name == b"compile" and outcome == EXCEPTION:
                    exc = EXCEPTION
                exit_code = 1 if (name == b"unit-tests" and
                                  outcome == FAILURE) else 0
                if exc == RETRY:
                    exit_code = None
                    # The slave is lost in the middle of the output.
                    output = output[:max(1, len(output) // 2)]
                for _ in self._shell(st, cmd, output, exit_code):
                    yield
                if name == b"unit-tests" and exc is None:
                    log = st.addLog(b"test.log")
                    log.addStdout(b"test_main \xe2\x9c\x93\ntest_data "
                                  b"\xe2\x9c\x93\n")
                    log.finish()
                    yield
            else:
                log = st.addLog(b"summary")
                log.addStdout(u"3 tests, 0 failed \u2014 r\u00e9sum\u00e9\n"
                              .encode("utf-8"))
                log.finish()
                yield
                if self.html:
                    st.addHTMLLog(b"report.html",
                                  b"<html><body><h1>Report</h1><p>3 tests "
                                  b"passed</p>" + b"<p>row</p>" * 1200 +
                                  b"</body></html>\n")
                    yield
            if name == b"get-version":
                log = st.addLog(b"property changes")
                log.addStdout(b"code_version: 'c96104a'")
                log.finish()
                s.getProperties().setProperty(b"code_version", b"c96104a",
                                              b"SetPropertyFromCommand",
                                              runtime=True)
                yield
            if exc == EXCEPTION:
                log = st.addLog(b"err.text")
                log.addStdout(b"Traceback (most recent call last):\n  File "
                              b"\"buildstep.py\", line 1, in startStep\n"
                              b"exceptions.UnicodeDecodeError: 'utf8' codec "
                              b"can't decode byte 0xff\n")
                log.finish()
                st.addHTMLLog(b"err.html", b"<html><body><pre>Traceback"
                              b"</pre></body></html>\n")
                st.setText([b"exception"] + words)
                st.setText2([b"exception"])
                code = EXCEPTION
            elif exc == RETRY:
                log = st.addLog(b"interrupt")
                log.addStdout(b"[Failure instance: Traceback (failure with "
                              b"no frames): <class 'twisted.internet.error."
                              b"ConnectionLost'>: Connection to the other "
                              b"side was lost in a non-clean fashion.\n]\n")
                log.finish()
                st.setText(words + [b"failed", b"slave", b"lost"])
                code = RETRY
            elif name == b"compile" and outcome == WARNINGS:
                log = st.addLog(b"warnings")
                log.addStdout(b"".join(WARNING_LINES))
                log.finish()
                st.setStatistic(b"warnings", 2)
                st.setText(words + [b"warnings"])
                st.setText2([b"warnings"])
                code = WARNINGS
            elif name == b"unit-tests" and outcome == FAILURE:
                st.setText([b"tests", b"failed"])
                st.setText2([b"failed", b"tests"])
                code = FAILURE
            else:
                st.setText(words)
                st.setText2([])
            yield
            if rng.random() < 0.2:
                clock.advance(10)
                st.tick()
                yield
            clock.advance(rng.uniform(0.01, 3))
            st.stepFinished(code)
            yield
            if code == WARNINGS and results == SUCCESS:
                results = WARNINGS
                build_text = [b"warnings", name]
            if code in (FAILURE, EXCEPTION, RETRY):
                results = code
                build_text = {FAILURE: [b"failed", name],
                              EXCEPTION: [b"exception", name],
                              RETRY: [b"retry", b"lost", b"remote"]}[code]
                failed = name
        if results == RETRY:
            build_text = [b"build", b"successful"] if self.rng.random() < \
                0.3 else build_text
        s.setText(build_text)
        s.setResults(results)
        clock.advance(0.1)
        s.buildFinished()
        yield
        b.setBigState("idle")
        m.db.buildsets_rows[bsid]["complete"] = True
        self.done_builds.append(s)
        yield

    @staticmethod
    def _describe(cmd):
        words = [w.encode("utf-8") for w in cmd.split()]
        if len(words) == 1:
            return [b"'" + words[0] + b"'"]
        if len(words) == 2:
            return [b"'" + words[0], words[1] + b"'"]
        return [b"'" + words[0], words[1], b"...'"]

    # -- the whole master

    nbuilds_started = 0

    def _new_request(self, bname):
        m = self.m
        rng = self.rng
        changes = []
        if rng.random() < 0.6:
            for _ in range(rng.randint(1, 2)):
                m.clock.advance(0.3)
                changes.append(m.add_change(
                    rng.choice(AUTHORS), rng.sample(FILES, 2),
                    rng.choice(COMMENTS), u"%040x" % rng.getrandbits(160),
                    properties={u"event.source": u"git"}))
            reason = u"scheduler"
        else:
            reason = u"A build was forced by 'ada <ada@example.org>': " \
                     u"checking a flaky test"
        m.clock.advance(0.1)
        bsid, brids = m.submit([bname], reason, changes,
                               properties={u"scheduler":
                                           (u"all", u"Scheduler")})
        return (bsid, brids[0], changes, reason)

    def steps(self, nbuilds):
        """Generator running nbuilds more builds, up to `parallel` at a
        time on different builders; yields after every action."""
        if not self.started:
            self.start()
            yield
        m = self.m
        rng = self.rng
        to_start = nbuilds
        while to_start > 0 or self.active:
            busy = set([a[0] for a in self.active])
            free = [bn for bn in m.builder_names if bn not in busy]
            if to_start > 0 and free and len(self.active) < self.parallel:
                bname = rng.choice(free)
                req = self._new_request(bname)
                yield
                self.nbuilds_started += 1
                to_start -= 1
                self.active.append((bname, self.build(bname, req)))
                continue
            i = rng.randrange(len(self.active))
            try:
                next(self.active[i][1])
            except StopIteration:
                del self.active[i]
                self.nbuilds += 1
                if rng.random() < 0.05:
                    self._slave_churn()
            yield

    def _slave_churn(self):
        m = self.m
        r = self.rng.random()
        m.clock.advance(1)
        if r < 0.5:
            m.slave_paused(b"bot2")
            m.clock.advance(2)
            m.slave_unpaused(b"bot2")
        elif not self.active:
            m.slave_disconnected(b"bot2")
            m.clock.advance(3)
            m.slave_connected(b"bot2")

    def run(self, nbuilds):
        for _ in self.steps(nbuilds):
            pass
