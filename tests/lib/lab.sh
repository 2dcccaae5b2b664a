# Helpers for lab tests: a lab of the test's own, torn down on exit, also
# on failure. A test that cannot get its lab fails: it never passes
# silently. Needs CLUPDATE and SRCDIR (tests/run-lab sets them).
set -euo pipefail

fail() { echo "FAIL: $*" >&2; exit 1; }
note() { echo "-- $*" >&2; }

# lab_start NAME NODES: bring up lab NAME (down first: a killed earlier run
# may have left it half-built), and arrange for it to go on exit.
lab_start() {
	LAB=$1
	"$CLUPDATE" lab down --name "$LAB" >/dev/null 2>&1 || true
	trap 'lab_stop' EXIT
	"$CLUPDATE" lab up --name "$LAB" --nodes "$2" >"$WORK/lab-up.log" 2>&1 ||
		{ cat "$WORK/lab-up.log" >&2; fail "cannot bring up lab '$LAB'"; }
}

lab_stop() {
	local rc=$?
	"$CLUPDATE" lab down --name "$LAB" >/dev/null 2>&1 || echo "warning: lab down failed" >&2
	rm -rf "$WORK"
	exit $rc
}

# on NODE CMD...: run CMD inside a node of the lab.
on() { local node=$1; shift; "$CLUPDATE" lab exec --name "$LAB" "$node" -- "$@"; }

# The node where group $1 runs, from crm_mon (any answering node).
owner_of() {
	local n owner
	for n in n1 n2 n3 n4 n5; do
		owner=$(on "$n" crm_mon --output-as=xml 2>/dev/null |
			xmllint --xpath "string(//group[@id='$1']/resource[@role='Started'][1]/node/@name)" - 2>/dev/null) || continue
		[[ -n $owner ]] && { echo "$owner"; return 0; }
	done
	return 1
}

WORK=$(mktemp -d)
