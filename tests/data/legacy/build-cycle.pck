€(cbuildbot.status.builder
BuildStatus
qoq}q(U6buildbot.status.builder.BuildStatus.persistenceVersionqKUstepsq]U
propertiesq(cbuildbot.process.properties
Properties
qo}qh}q	(Ucycq
]qhaUBuildq†Udcycq}qUselfqhsh†Ubombq]q(]q(]q(]q(]q(]q(]q(]q(]q(]q(]q(]q(]q(]q(]q(]q (]q!(]q"(]q#(]q$(]q%(]q&(]q'(]q((]q)(]q*(]q+(]q,(]q-(]q.(]q/(]q0(]q1(]q2(]q3(]q4(]q5(]q6(]q7(]q8(]q9(]q:(]q;(]q<(]q=(]q>(]q?(]q@(]qA(]qB(]qC(]qD(]qE(]qF(]qG(]qH(]qI(]qJ(]qK(]qL(]qMUleafqNahMehLehKehJehIehHehGehFehEehDehCehBehAeh@eh?eh>eh=eh<eh;eh:eh9eh8eh7eh6eh5eh4eh3eh2eh1eh0eh/eh.eh-eh,eh+eh*eh)eh(eh'eh&eh%eh$eh#eh"eh!eh eheheheheheheheheheheheheheheh†usbUnumberqOK	ub.