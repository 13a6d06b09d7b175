€(cbuildbot.status.builder
BuildStatus
qoq}q(U6buildbot.status.builder.BuildStatus.persistenceVersionqKUstepsq]ub.