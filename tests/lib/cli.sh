# Helpers for CLI tests: run the binary, compare with golden files.
#
# golden NAME FILE: compare FILE with tests/cli/golden/NAME; with
# UPDATE_GOLDEN=1 in the environment, write it instead (then review the
# diff before committing). Paths of this machine are replaced by @SRCDIR@ /
# @FIXTURES@ first, so golden files hold no absolute paths.
set -u
GOLDEN_DIR=$SRCDIR/tests/cli/golden

fail() { echo "FAIL: $*" >&2; exit 1; }

normalise() { sed -e "s|$FIXTURES|@FIXTURES@|g" -e "s|$SRCDIR|@SRCDIR@|g" "$1"; }

golden() {
	local name=$1 file=$2
	if [[ ${UPDATE_GOLDEN:-} == 1 ]]; then
		normalise "$file" >"$GOLDEN_DIR/$name"
		return 0
	fi
	[[ -f $GOLDEN_DIR/$name ]] || fail "no golden file $name (run with UPDATE_GOLDEN=1)"
	diff -u "$GOLDEN_DIR/$name" <(normalise "$file") || fail "output differs from golden $name"
}

# expect_status WANT CMD...: run CMD, fail unless it exits with WANT.
expect_status() {
	local want=$1; shift
	local got=0
	"$@" || got=$?
	((got == want)) || fail "'$*' exited with $got, expected $want"
}

# sim_lab [NAME WHAT NODE [ON]]: the demo's simulated cluster in ./lab.ini
# (doc/sim.md), with the fault NAME (what = WHAT, node = NODE, on = ON).
sim_lab() {
	cp "$SRCDIR/demo/sim/lab.ini" lab.ini
	(($#)) || return 0
	printf '\n[fault "%s"]\nwhat = %s\nnode = %s\n' "$1" "$2" "$3" >>lab.ini
	[[ -z ${4:-} ]] || echo "on = $4" >>lab.ini
}
