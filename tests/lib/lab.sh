# Helpers for lab tests: a lab of the test's own, torn down on exit, also
# on failure. A test that cannot get its lab fails: it never passes
# silently. Needs CLUPDATE and SRCDIR (tests/run-lab sets them).
set -euo pipefail
# A command of the test itself that fails unguarded ends the test (set -e)
# with no word of why; it now names itself, with its file and line. (Only
# in the test's own shell: a command substitution or a background job is
# not ended by a failure, so it does not say FAIL.) CI met such an exit.
set -E
trap '__clu_rc=$?; ((BASH_SUBSHELL)) || echo "FAIL: ${BASH_SOURCE[0]##*/}:$LINENO: \`$BASH_COMMAND\` exited $__clu_rc" >&2' ERR

fail() { echo "FAIL: $*" >&2; exit 1; }
note() { echo "-- $*" >&2; }

# lab_start NAME NODES [UP-OPTIONS...]: bring up lab NAME (down first: a
# killed earlier run may have left it half-built), and arrange for it to go
# on exit.
lab_start() {
	LAB=$1
	local nodes=$2
	shift 2
	"$CLUPDATE" lab down --name "$LAB" >/dev/null 2>&1 || true
	trap 'lab_stop' EXIT
	"$CLUPDATE" lab up --name "$LAB" --nodes "$nodes" "$@" >"$WORK/lab-up.log" 2>&1 ||
		{ cat "$WORK/lab-up.log" >&2; fail "cannot bring up lab '$LAB'"; }
}

# lab_stop [RC]: the EXIT trap's end; exits RC (default: the status the
# trap began with).
lab_stop() {
	local rc=$? job
	rc=${1:-$rc}
	# The test's own background jobs (an apply, a sampler), by PID.
	for job in $(jobs -p); do kill "$job" 2>/dev/null || true; done
	((rc == 0)) || lab_diagnose >&2
	"$CLUPDATE" lab down --name "$LAB" >/dev/null 2>&1 || echo "warning: lab down failed" >&2
	rm -rf "$WORK"
	exit $rc
}

# lab_diagnose: what a failed test's reader needs to see of the lab as the
# test left it (CI keeps no lab): the engine's view, clupdate's marks in the
# CIB, and on each node the store mount and the tail of maild's log.
lab_diagnose() {
	local n
	[[ -n ${LAB:-} && -d $LAB_ROOT/$LAB ]] || return 0
	echo "---- lab '$LAB' as the failed test left it"
	timeout 20 "$CLUPDATE" lab exec --name "$LAB" n1 -- crm_mon --one-shot --inactive 2>&1 | sed 's/^/   /' || true
	timeout 20 "$CLUPDATE" lab exec --name "$LAB" n1 -- cibadmin --query --scope constraints 2>&1 | sed 's/^/   /' || true
	for n in $(lab_nodes 2>/dev/null); do
		echo "---- $n: store mounts, maild log"
		timeout 10 "$CLUPDATE" lab exec --name "$LAB" "$n" -- sh -c \
			'grep clupdate-mail /proc/self/mountinfo; tail -n 8 /run/clupdate-mail/maild.log /run/clupdate-mail/*/maild.log' \
			2>&1 | sed 's/^/   /' || true
	done
	echo "---- host store directories"
	ls -la "$LAB_ROOT/$LAB"/store* 2>&1 | sed 's/^/   /' || true
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

source "$SRCDIR/tests/lib/wait.sh"
LAB_ROOT=${LAB_ROOT:-/var/lib/clupdate-lab}
lab_ssh_config() { echo "$LAB_ROOT/$LAB/ssh/config"; }

# assert_ran_here NODE WHAT VIA: every line of NODE's own where.log (the
# demo installer and verify write one per run, with the host name and
# network namespace they ran in) is NODE's, and WHAT ran there through VIA
# ("ssh", or "" for a command started on the machine itself).
assert_ran_here() {
	local node=$1 what=$2 via=$3 log netns line
	log=$LAB_ROOT/$LAB/nodes/$node/opt-clupdate-mail/where.log
	[[ -s $log ]] || fail "$node: nothing ran there (no $log)"
	netns="net:[$(stat -L -c %i "/run/netns/clu-$LAB-$node")]"
	while read -r line; do
		[[ $line == *" node=$node host=$node netns=$netns "* ]] ||
			fail "$node: a command for another node or machine ran there: $line"
	done <"$log"
	while read -r line; do
		[[ $line == *" $what node=$node host=$node netns=$netns via=$via" ]] && return 0
	done <"$log"
	fail "$node: no '$what' via '${via:-this machine}' in its log: $(cat "$log")"
}

# The lab's nodes, n1..nN (from its lab.env).
lab_nodes() { seq -f 'n%g' 1 "$(sed -n 's/^NODES=//p' "$LAB_ROOT/$LAB/lab.env")"; }

# assert_at_version VERSION [VIA [WHAT]]: every node's maild and its
# mail-version attribute (read on VIA, default n1) are at VERSION. WHAT
# (e.g. a phase) begins a failure.
assert_at_version() {
	local version=$1 via=${2:-n1} what=${3:+$3: } n
	for n in $(lab_nodes); do
		[[ $(on "$n" /opt/clupdate-mail/bin/maild --version) == "$version" ]] ||
			fail "$what$n: maild is not $version"
		[[ $(on "$via" crm_attribute --node "$n" --name mail-version --query --quiet) == "$version" ]] ||
			fail "$what$n: its mail-version attribute is not $version"
	done
}

# assert_nothing_left [NODE [WHAT]]: nothing of clupdate's in the
# cluster's configuration, as NODE (default n1) sees it: no constraint of
# its own, no is-managed meta attribute (a pin), no node in standby (a
# drain), no cluster lock. WHAT (e.g. "after the abort") begins a failure.
assert_nothing_left() {
	local node=${1:-n1} what=${2:-at the end} cib
	cib=$(on "$node" cibadmin --query)
	grep -q '<rsc_location id="clupdate-' <<<"$cib" &&
		fail "$what: a clupdate constraint is left: $(grep '<rsc_location id="clupdate-' <<<"$cib")"
	grep -q 'name="is-managed"' <<<"$cib" && fail "$what: an is-managed meta attribute is left"
	grep -q 'name="standby" value="on"' <<<"$cib" && fail "$what: a node is left in standby"
	grep -q 'cluster_property_set id="clupdate-lock"' <<<"$cib" && fail "$what: the cluster lock is left"
	return 0
}

# assert_clean VERSION [VIA [WHAT]]: the end of an update, read on VIA:
# every node at VERSION, nothing of clupdate's left, mail running.
assert_clean() {
	local version=$1 via=${2:-n1} what=${3:-}
	assert_at_version "$version" "$via" "$what"
	assert_nothing_left "$via" "${what:-at the end}"
	wait_until 120 "${what:+$what: }mail to run" mail_runs
}
mail_runs() { [[ -n $(owner_of mail) ]]; }

# assert_sp2_done APPLY_JSON STATE OWNER: the whole sp2 update is done, in
# place, with one outage for users, caused by the install on OWNER, and no
# acknowledged message lost; nothing of clupdate's is left in the cluster.
assert_sp2_done() {
	local json=$1 state=$2 owner=$3 run
	[[ $(jq -r .run.state "$json") == succeeded ]] || fail "run state: $(jq -c .run "$json")"
	run=$(jq -r .run.id "$json")
	assert_at_version 2
	assert_nothing_left
	[[ $(owner_of mail) == "$owner" ]] || fail "mail moved from $owner (in place must not move it)"
	"$CLUPDATE" report "$run" --state-dir "$state" --output-as json >"$WORK/report.json"
	[[ $(jq '.report.outages | length' "$WORK/report.json") == 1 ]] ||
		fail "expected exactly one outage window: $(jq -c .report.outages "$WORK/report.json")"
	[[ $(jq -r '.report.outages[0] | "\(.step_action) \(.step_node)"' "$WORK/report.json") == "install $owner" ]] ||
		fail "the outage is not attributed to the install on $owner"
	[[ $(jq '.report.acknowledged' "$WORK/report.json") -gt 0 ]] || fail "no message acknowledged"
	[[ $(jq '.report.lost' "$WORK/report.json") == 0 ]] || fail "lost messages (or not checked)"
	note "one outage of $(jq '.report.outages[0].duration_ms' "$WORK/report.json") ms," \
		"$(jq '.report.acknowledged' "$WORK/report.json") messages acknowledged, 0 lost"
}

# dc_state [VIA]: the cluster coordinator's state, as VIA (n1) asks it:
# S_IDLE when it is idle; empty when it cannot be asked (none elected).
dc_state() {
	on "${1:-n1}" sh -c 'crmadmin --quiet --status="$(crmadmin --dc_lookup --quiet)"' 2>&1 |
		grep -o 'S_[A-Z_]*'
}

# apply_until MANIFEST SQL [apply options]: start apply of MANIFEST on
# the lab (journal in $state, JSON result in $WORK/until.json, progress in
# $WORK/until.err) and return once the journal query SQL, with RUN the
# newest run's id, returns 1. Driven by the journal, not by sleeps: the
# caller acts in the window SQL names. With UNTIL_ALSO set, the command it
# names must succeed too (a window narrower than a step). APPLY_PID: the
# apply, still running; APPLY_RUN: its run.
apply_until() {
	local manifest=$1 sql=$2 run hit before
	shift 2
	# Only this apply's run: an earlier run of the journal may hold SQL
	# already (t1200 met it here: it killed an apply still planning, as
	# the rollback run before it had a verify done at step 3).
	before=$(sqlite3 "$state/journal.db" "SELECT coalesce(max(id), 0) FROM runs" 2>/dev/null || echo 0)
	"$CLUPDATE" apply "$manifest" --cluster "lab:$LAB" --state-dir "$state" --yes \
		--output-as json "$@" >"$WORK/until.json" 2>"$WORK/until.err" &
	APPLY_PID=$!
	for ((i = 0; i < 2400; i++)); do
		run=$(sqlite3 "$state/journal.db" "SELECT max(id) FROM runs WHERE id > ${before:-0}" 2>/dev/null || true)
		hit=0
		[[ -z $run ]] || hit=$(sqlite3 "$state/journal.db" "${sql//RUN/$run}" 2>/dev/null || echo 0)
		[[ $hit == 1 && -n ${UNTIL_ALSO:-} ]] && ! "$UNTIL_ALSO" && hit=0
		[[ $hit == 1 ]] && break
		kill -0 "$APPLY_PID" 2>/dev/null || fail "apply ended before the window: $(cat "$WORK/until.err")"
		sleep 0.05
	done
	[[ $hit == 1 ]] || fail "the window never came"
	APPLY_RUN=$run
}

# kill_when MANIFEST SQL [apply options]: apply_until, then SIGKILL the
# apply: the kill lands in the window SQL names. KILLED_RUN: its run.
kill_when() {
	apply_until "$@"
	kill -KILL "$APPLY_PID"
	wait "$APPLY_PID" 2>/dev/null || true
	KILLED_RUN=$APPLY_RUN
}

# probe_lost JOURNAL_DIR: `clupdate probe` does not check delivery; this
# does, for a probe run kept with --state-dir JOURNAL_DIR: the queue ids its
# smtp probe acknowledged (the journal's probe-acknowledged events) go to
# the demo's own check-delivered on mail's owner, as apply's check does.
# Prints "ACKNOWLEDGED LOST"; fails when the check cannot look.
probe_lost() {
	local journal=$1/journal.db owner ids lost
	ids=$(sqlite3 "$journal" "SELECT detail FROM events WHERE kind = 'probe-acknowledged'" | tr ' ' '\n' | sed '/^$/d')
	owner=$(owner_of mail) || fail "mail runs nowhere: cannot check delivery"
	lost=$(on "$owner" "$SRCDIR/build/demo/sp2/check-delivered" <<<"$ids") ||
		fail "check-delivered on $owner could not look"
	echo "$(sed '/^$/d' <<<"$ids" | wc -l) $(sed '/^$/d' <<<"$lost" | wc -l)"
}
