# make-pickles.py: writes the synthetic legacy-status pickles that
# tests/unit/test-legacy.c reads, one per class generation the real fixtures
# do not cover (legacy-status spec, section 2.6).
#
# Run with Python 2.7 from this directory:
#     PYENV_VERSION=2.7.18 python make-pickles.py
#
# Buildbot itself is not needed: stand-in old-style classes are registered
# under the real module names, so the pickles carry the same GLOBAL/INST
# references and state dicts a real master writes. Build and builder files
# use cPickle protocol 2 (dump(obj, f, -1)), changes.pck protocol 0, as
# Buildbot does. The output is deterministic (no hash randomisation in
# Python 2, fixed times), so regenerating gives identical files.

import cPickle
import datetime
import sys
import types
import warnings

# The str/unicode key pair below is meant to compare unequal.
warnings.simplefilter('ignore', UnicodeWarning)


def module(name):
    """Create (or return) a fake module and its parent packages."""
    parts = name.split('.')
    for i in range(1, len(parts) + 1):
        n = '.'.join(parts[:i])
        if n not in sys.modules:
            sys.modules[n] = types.ModuleType(n)
    return sys.modules[name]


def oldstyle(modname, clsname):
    """An old-style class pickled as MARK GLOBAL OBJ + BUILD."""
    m = module(modname)
    cls = types.ClassType(clsname, (), {'__module__': modname})
    setattr(m, clsname, cls)
    return cls


def newstyle(modname, clsname):
    """A new-style class pickled with NEWOBJ (or _reconstructor in proto 0)."""
    m = module(modname)
    cls = type(clsname, (object,), {'__module__': modname})
    setattr(m, clsname, cls)
    return cls


B = 'buildbot.status.builder'
BuildStatus = oldstyle(B, 'BuildStatus')
BuildStepStatus = oldstyle(B, 'BuildStepStatus')
BuilderStatus = oldstyle(B, 'BuilderStatus')
OldEvent = oldstyle(B, 'Event')
OldLogFile = oldstyle(B, 'LogFile')
OldHTMLLogFile = oldstyle(B, 'HTMLLogFile')
OldTestResult = oldstyle(B, 'TestResult')
NewEvent = oldstyle('buildbot.status.event', 'Event')
NewLogFile = oldstyle('buildbot.status.logfile', 'LogFile')
NewHTMLLogFile = oldstyle('buildbot.status.logfile', 'HTMLLogFile')
NewTestResult = oldstyle('buildbot.status.testresult', 'TestResult')
SourceStamp = oldstyle('buildbot.sourcestamp', 'SourceStamp')
Change = oldstyle('buildbot.changes.changes', 'Change')
ChangeMaster = oldstyle('buildbot.changes.changes', 'ChangeMaster')
Properties = oldstyle('buildbot.process.properties', 'Properties')
BuildProgress = oldstyle('buildbot.status.progress', 'BuildProgress')
StepProgress = oldstyle('buildbot.status.progress', 'StepProgress')
DeferredLock = newstyle('twisted.internet.defer', 'DeferredLock')
UserThing = oldstyle('mycompany.buildtools', 'Thing')
NewUserThing = newstyle('mycompany.buildtools', 'NewThing')

VB = B + '.BuildStatus.persistenceVersion'
VS = B + '.BuildStepStatus.persistenceVersion'
VR = B + '.BuilderStatus.persistenceVersion'
VSS = 'buildbot.sourcestamp.SourceStamp.persistenceVersion'


def make(cls, **state):
    o = cls()
    o.__dict__.update(state)
    return o


def progress(stepnames):
    """BuildProgress <-> StepProgress cycle, as every real build has."""
    bp = make(BuildProgress, finishedSteps=list(stepnames), watchers={},
        debug=0)
    bp.steps = {}
    for n in stepnames:
        bp.steps[n] = make(StepProgress, name=n, buildProgress=bp,
            progress={'output': 10}, expectations={'output': None},
            startTime=1000.0, stopTime=1001.0)
    return bp


def write(name, obj, protocol=-1):
    f = open(name, 'wb')
    cPickle.dump(obj, f, protocol)
    f.close()


# --- BuildStatus v0 (pre-0.7): sourceStamp tuple, no version keys ----------
# Steps are 0.7.1-0.7.3 style (no BuildStepStatus version key); the first has
# a legacy inline log (entries, no filename), the second the class default
# results (None, []), the third a (result, text) tuple.
c1 = make(Change, number=4, who='alice', comments='first', files=['a.c'],
    isdir=0, when=1100000000.5, branch=None, revision=None, links=[])
c2 = make(Change, number=5, who='bob', comments='second', files=['b.c'],
    isdir=0, when=1100000100.0, branch=None, revision=None, links=[])
s0 = make(BuildStepStatus, name='compile', started=1100000200.0,
    finished=1100000260.25, results=2, text=['compile', 'failed'],
    text2=['compile'], color='red',
    logs=[make(OldLogFile, name='stdio',
        entries=[(2, 'make all\n'), (0, 'cc a.c\n'), (1, 'a.c:1: error\n'),
            (0, '')],
        runEntries=[], runLength=0, length=29)])
s1 = make(BuildStepStatus, name='test', results=(None, []), logs=[])
s2 = make(BuildStepStatus, name='package', results=(4, ['exception']),
    started=1100000261.0, finished=1100000262.0, logs=[])
write('build-v0.pck', make(BuildStatus, number=7,
    sourceStamp=(5, (1, 'diff --git a/a.c\n+\xff\x00x\n')),
    changes=(c1, c2), started=1100000200.0, finished=1100000262.0,
    results=2, text=('failed', 'compile'), reason='changes',
    blamelist=['alice', 'bob'], slavename='slave1', color='red',
    steps=[s0, s1, s2], testResults={}, progress=None, currentStep=None))

# --- BuildStatus v1: SourceStamp without version key, finished is True ------
# The same Change object sits in build.changes and source.changes (memo).
c3 = make(Change, number=9, who='carol', comments='int revision',
    files=['x'], isdir=1, when=1200000000, branch='trunk', revision=1234,
    links=[])
write('build-v1.pck', make(BuildStatus, number=12,
    **{VB: 1, 'source': make(SourceStamp, branch='trunk', revision=1234,
        patch=None, changes=[c3]),
    'changes': [c3], 'started': 1200000010.5, 'finished': True,
    'results': None, 'text': [], 'reason': u'forced \u2603',
    'blamelist': ['carol'], 'slavename': u'sl\xe4ve',
    'steps': [make(BuildStepStatus, name='shell', started=1200000011.0,
        results=0, text=['echo'], text2=[], urls={'docs': 'http://x/'},
        logs=[make(OldLogFile, name='stdio', filename='12-log-shell-stdio',
            entries=[], length=77)],
        **{VS: 1})],
    'progress': progress(['shell']), 'currentStep': None}))

# --- BuildStatus v2 (0.7.3-0.7.7): plain dict properties ---------------------
write('build-v2.pck', make(BuildStatus, number=3,
    **{VB: 2, 'source': make(SourceStamp, branch=None, revision='abc',
        patch=None, changes=()),
    'changes': (), 'started': 1250000000.0, 'finished': 1250000001.0,
    'results': 0, 'text': ['build', 'successful'], 'reason': 'r',
    'blamelist': [], 'slavename': 's',
    'properties': {'buildername': 'old builder', 'buildnumber': 3,
        'pair': (1, 'x'), 'branch': None},
    'steps': [make(BuildStepStatus, name='s', started=1250000000.0,
        finished=1250000001.0, results=1, text=['warn'], text2=['warn'],
        urls={}, statistics={'warnings': 3, 'ratio': 0.5},
        logs=[], **{VS: 2})],
    'progress': None, 'currentStep': None}))

# --- BuildStatus v3 (0.7.8-0.8.6): Properties with odd values ----------------
# source.changes holds a distinct Change equal to build.changes[0] (same
# number, when, author, revision, branch, repository): one change in total.
c4 = make(Change, number=20, who='dave', comments='dup', files=['d'],
    isdir=0, when=1300000000.0, branch='b', revision='r20', links=[],
    revlink='', category=None, properties=make(Properties, properties={}),
    project='p', repository='git://r')
c4b = make(Change, number=20, who='dave', comments='dup (copy)',
    files=['d'], isdir=0, when=1300000000.0, branch='b', revision='r20',
    links=[], revlink='', category=None, project='p', repository='git://r')
thing = make(UserThing, size=3, tags=['t'])
html = ''.join('<p>line %05d</p>\n' % i for i in range(1200))
props = {
    'buildername': ('v3 builder', 'Builder'),
    'owners': (['a@x', u'b\u2603@x'], 'Force Build Form'),
    'mapping': ({'k': 1, 2: 'two', (1, 2): None}, 'Step'),
    'thing': (thing, 'Step'),
    'runtime_set': (set(['y', 'x']), 'Build'),
    'big': (2 ** 70, 'Build'),
    'when': (datetime.datetime(2011, 7, 10, 22, 42, 23, 500),
        'SetProperty'),
    'latin1': ('caf\xe9', 'Build'),
    u'unicode_name': (u'\u00e9t\u00e9', u'Source'),
    'nan': (float('inf'), 'Build'),
    'truth': (True, 'Build'),
    # Distinct keys in Python 2 that are one name once decoded.
    'k\xe9y': ('from str', 'A'),
    u'k\xe9y': ('from unicode', 'B'),
}
write('build-v3.pck', make(BuildStatus, number=40,
    **{VB: 3, 'source': make(SourceStamp,
        branch=u'b', revision=u'r20', patch=(0, 'diff\n', 'sub/dir'),
        changes=(c4b,), project=u'p', repository=u'git://r',
        **{VSS: 2}),
    'changes': [c4], 'started': 1300000010.0, 'finished': 1300000020.0,
    'results': 3, 'text': ['skipped'], 'reason': 'scheduler',
    'blamelist': ['dave'], 'slavename': 'sl3',
    'properties': make(Properties, properties=props,
        runtime=set(['owners'])),
    'steps': [
        make(BuildStepStatus, name='git', started=1300000010.0,
            finished=1300000011.0, results=3, skipped=True,
            waitingForLocks=False, step_number=0, text=['skipped'],
            text2=[], urls={}, statistics={},
            logs=[make(OldHTMLLogFile, name='err.html',
                filename='40-log-git-err.html', html=html)],
            **{VS: 3}),
        make(BuildStepStatus, name='shell', started=1300000011.0,
            finished=1300000020.0, results=0, skipped=False,
            waitingForLocks=False, step_number=0, text=['ok'], text2=[],
            urls={}, statistics={},
            logs=[make(OldLogFile, name='stdio',
                filename='40-log-shell-stdio', entries=[], length=0)],
            **{VS: 3}),
    ],
    'testResults': {('t', 'one'): make(OldTestResult, name=('t', 'one'),
        results=0, text='ok', logs={})},
    'progress': progress(['git', 'shell']), 'currentStep': None}))

# --- BuildStatus v4 (0.8.7+): sources list, 0.8.9+ HTMLLogFile --------------
lock = DeferredLock()
lock.waiting = []
st4 = make(BuildStepStatus, name='html', started=1400000001.0,
    finished=1400000002.0, results=0, skipped=False, waitingForLocks=False,
    step_number=0, hidden=True, text=['html'], text2=[], urls={},
    statistics={},
    logs=[make(NewHTMLLogFile, name='report.html',
            filename='5-log-html-report.html', entries=[], runEntries=[],
            runLength=0, length=1234, _isNewStyle=True),
        make(NewLogFile, name='stdio', filename='5-log-html-stdio',
            entries=[], runEntries=[], runLength=0, length=10)],
    **{VS: 4})
write('build-v4.pck', make(BuildStatus, number=5,
    **{VB: 4, 'sources': [
        make(SourceStamp, branch=u'master', revision=u'abc123',
            patch=(1, 'p1'), patch_info=('pat', 'try this'),
            project='proj', repository='git://a', codebase='a',
            sourcestampsetid=7, changes=(),
            _addSourceStampToDatabase_lock=lock, **{VSS: 3}),
        make(SourceStamp, branch=None, revision=None, patch=None,
            patch_info=None, project='proj', repository='git://b',
            codebase='b', sourcestampsetid=7, changes=(), **{VSS: 3}),
    ],
    'changes': [], 'started': 1400000000.0, 'finished': 1400000003.0,
    'results': 0, 'text': ['build', 'successful'],
    'reason': u'The web-page', 'blamelist': [], 'slavename': 'sl4',
    'properties': make(Properties, properties={
        'buildername': (u'v4 builder', 'Builder'),
        u'scheduler': (u'force', u'Scheduler')}, runtime=set(), build=None),
    'steps': [st4], 'testResults': {},
    'progress': progress(['html']), 'currentStep': st4}))

# --- BuilderStatus v0 (slavename) and v2 (tags) -----------------------------
write('builder-v0.pck', make(BuilderStatus, name='ancient',
    slavename='oldslave', nextBuildNumber=5, category=None,
    events=[make(OldEvent, started=1000.0, finished=1010.5,
            text=['build', 'done'], color='green'),
        make(OldEvent, started=1020.0, text=['building'], color=None),
        make(OldEvent, started=1030.0, finished=0, text=['master',
            'started'])],
    lastBuildStatus=None, nextBuild=None, watchers=[]))
write('builder-v2.pck', make(BuilderStatus, name=u'modern \u2603',
    tags=['linux', 'x86'], description='A builder',
    slavenames=['s1', 's2'],
    events=[make(NewEvent, started=2000.0, finished=0, text=['connect',
        's1']), 'not an event'],
    lastBuildStatus=None, nextBuild=None, watchers=[],
    **{VR: 2}))

# --- changes.pck (protocol 0) ------------------------------------------------
ca = make(Change, number=1, who=u'J\xf6rg <j@x>',
    comments=u'snow \u2603\nline 2', files=[['nested', ['deeper']], 'top'],
    isdir=0, when=1500000000.25, branch=u'feature', revision=42,
    links=[], revlink='http://rev/42', category='cat',
    properties=make(Properties, properties={'prop': ('val', 'Change'),
        'obj': (NewUserThing(), 'Change')}),
    project='proj', repository='git://r', codebase='cb')
ca.properties.properties['obj'][0].answer = 42
cb = make(Change, number=2, who='\xe9t\xe9', comments='latin-1 bytes',
    files=[], isdir=1, when=1500000001, branch=None, revision=None,
    links=ca.links)
write('changes.pck', make(ChangeMaster, changes=[ca, 'junk', cb],
    nextNumber=3, name='changemaster', basedir='/m'), 0)

# --- Robustness --------------------------------------------------------------
# Wrong types for optional attributes fall back to defaults.
write('build-badtypes.pck', make(BuildStatus, number=8,
    **{VB: 3, 'started': 'yesterday', 'finished': [1], 'results': 'bad',
    'text': 5, 'reason': ['x'], 'blamelist': 'bob', 'slavename': 3.5,
    'source': 'not a stamp', 'changes': 'none', 'properties': 42,
    'steps': [
        make(BuildStepStatus, name=None, started='x', results='y',
            text='one word', text2=None, urls=[], statistics='z',
            hidden='yes', skipped=None, logs={'a': 1}, **{VS: 4}),
        'not a step',
        make(BuildStepStatus, name='third', logs=[
            make(OldLogFile, name='stdio', filename=17, length='long'),
            42,
            make(OldLogFile, name='bad', entries=[(0, 'ok\n'), 'junk',
                (12, 'channel too big'), (1, 5)])])]}))

# A property that contains itself, a dict cycle and a DAG whose expansion
# would have 2**60 leaves.
cyc = []
cyc.append(cyc)
dcyc = {}
dcyc['self'] = dcyc
bomb = ['leaf']
for i in range(60):
    bomb = [bomb, bomb]
write('build-cycle.pck', make(BuildStatus, number=9,
    **{VB: 3, 'steps': [],
    'properties': make(Properties, properties={'cyc': (cyc, 'Build'),
        'dcyc': (dcyc, 'Build'), 'bomb': (bomb, 'Build')})}))

# Errors: no number; number of the wrong type.
write('build-nonumber.pck', make(BuildStatus, steps=[], **{VB: 3}))
write('build-strnumber.pck', make(BuildStatus, number='12', steps=[],
    **{VB: 3}))
