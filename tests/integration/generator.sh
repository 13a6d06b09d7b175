#!/bin/sh
# The generator's own check: every pickle it writes loads in a real Python 2.7
# unpickler and matches its manifest (bench/check-gen.py2). Skips where no
# Python 2.7 is installed.
: "${top_srcdir:=.}"
py2=
for c in "env PYENV_VERSION=2.7.18 python" python2.7 python2; do
	if $c -c 'import sys; sys.exit(sys.version_info[:2] != (2, 7))' 2>/dev/null; then
		py2=$c
		break
	fi
done
if [ -z "$py2" ]; then
	echo "1..0 # SKIP no Python 2.7 to load the generated pickles"
	exit 0
fi
exec $py2 "$top_srcdir/bench/check-gen.py2"
