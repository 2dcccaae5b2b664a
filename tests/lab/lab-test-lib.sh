# Helpers for the lab's own tests (tests/lab/t01NN-lab-*.sh): a lab of the
# test's own, torn down on exit, also on failure; a test that cannot get its
# lab fails. Needs CLUPDATE and SRCDIR (tests/run-lab sets them).
set -euo pipefail

fail() {
	echo "FAIL: $*" >&2
	[[ -n ${LAB:-} ]] && lab_diagnostics >&2
	exit 1
}

# What a failing test shows: the lab's status and the cluster's view.
lab_diagnostics() {
	echo "--- lab status"
	lab status --name "$LAB" 2>&1 | sed 's/^/    /'
	[[ -s $LAB_ROOT/$LAB/fence/helper.log ]] && { echo "--- fence helper log"; sed 's/^/    /' "$LAB_ROOT/$LAB/fence/helper.log"; }
	return 0
}
note() { echo "-- $*" >&2; }

((EUID == 0)) || fail "lab tests need root"
[[ -x ${CLUPDATE:-} && -d ${SRCDIR:-} ]] || fail "CLUPDATE and SRCDIR must be set"
DEMO=$SRCDIR/build/demo
[[ -x $DEMO/smtp-send && -x $DEMO/maild-2 ]] || fail "no demo service in $DEMO (make demo-build)"
LAB_ROOT=/var/lib/clupdate-lab
LABS=()

lab() { "$CLUPDATE" lab "$@"; }

# lab_up NAME [up options...]: bring up lab NAME, removed on exit.
lab_up() {
	local name=$1; shift
	LAB=$name
	LABS+=("$name")
	trap labs_down EXIT
	lab up --name "$name" "$@" >"$WORK/up-$name.out" 2>"$WORK/up-$name.err" ||
		{ cat "$WORK/up-$name.err" >&2; fail "cannot bring up lab '$name'"; }
}

labs_down() {
	local rc=$? name
	for name in "${LABS[@]}"; do
		lab down --name "$name" >/dev/null 2>&1 || { echo "warning: down of lab '$name' failed" >&2; rc=1; }
	done
	rm -rf "$WORK"
	exit $rc
}

# on NODE CMD...: run CMD inside a node of lab $LAB; client CMD...: from the client namespace.
on() { local node=$1; shift; lab exec --name "$LAB" "$node" -- "$@"; }
client() { lab client --name "$LAB" -- "$@"; }

lab_env() { sed -n "s/^$1=//p" "$LAB_ROOT/$LAB/lab.env"; }
vip() { echo "$(lab_env SUBNET).100"; }
store() { echo "$LAB_ROOT/$LAB/store"; }

# The cluster's view, from the first node that answers.
cluster_xml() {
	local n xml
	for n in n1 n2 n3 n4 n5; do
		# (a node that is down prints an error document: skip it whole)
		xml=$(on "$n" crm_mon --one-shot --output-as=xml 2>/dev/null) && { echo "$xml"; return 0; }
	done
	return 1
}

# owner GROUP: the node where every member of GROUP is started, else empty.
owner() {
	cluster_xml | xmllint --xpath "string(//group[@id='$1'][count(resource[@role='Started']) = count(resource)]/resource[1]/node/@name)" - 2>/dev/null || true
}

online_nodes() {
	cluster_xml | xmllint --xpath "//nodes/node[@online='true']/@name" - 2>/dev/null |
		sed 's/ name="\([^"]*\)"/\1\n/g' | sed '/^$/d' | sort | tr '\n' ' ' | sed 's/ $//'
}

source "$SRCDIR/tests/lib/wait.sh"

# Every member of mail started, all on one node (no multiple-active state).
mail_on_one_node() {
	local x
	x=$(cluster_xml)
	[[ -n $(xmllint --xpath "string(//group[@id='mail'][count(resource[@role='Started']) = count(resource)]/resource[1]/node/@name)" - <<<"$x" 2>/dev/null) ]] &&
	[[ $(xmllint --xpath "count(//group[@id='mail']/resource/node)" - <<<"$x" 2>/dev/null) == \
	   $(xmllint --xpath "count(//group[@id='mail']/resource)" - <<<"$x" 2>/dev/null) ]]
}
owner_is_not() { local o; o=$(owner mail); [[ -n $o && $o != "$1" ]]; }
owner_is() { [[ $(owner mail) == "$1" ]]; }
node_online() { [[ " $(online_nodes) " == *" $1 "* ]]; }
node_offline() { grep -q "<node name=\"$1\" id=\"[0-9]*\" online=\"false\"" <<<"$(cluster_xml)"; }

# send_mail: one SMTP message from the client namespace to the virtual IP;
# prints its queued id.
send_mail() {
	client "$DEMO/smtp-send" "$(vip)" 25 --subject "lab test" --timeout-ms 5000
}

# stored IDS...: every id is in the shared store (read by maild itself).
assert_stored() {
	local listing id
	listing=$("$DEMO/maild-3" --list-store "$(store)" 2>/dev/null || "$DEMO/maild-1" --list-store "$(store)")
	for id in "$@"; do
		grep -qx "$id" <<<"$listing" || fail "message $id is not in the store (store has: $listing)"
	done
}

# What a lab leaves on the machine: its namespaces, mounts and processes.
# The processes are taken while the lab runs, from its live namespace handles
# (namespace inode numbers are reused once freed, so they cannot be checked
# after down), as "PID STARTTIME" pairs (PIDs are reused too).
lab_namespace_ids() {
	local f
	for f in /run/netns/clu-"$LAB"-*; do
		[[ $f =~ /clu-$LAB-(hub|client|n[0-9]+)$ ]] && echo "net:[$(stat -L -c %i "$f")]"
	done
	for f in "$LAB_ROOT/$LAB"/ns/*.mnt; do
		[[ -e $f ]] && echo "mnt:[$(stat -L -c %i "$f" 2>/dev/null)]"
	done
	return 0
}

start_time() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	# shellcheck disable=SC2086
	set -- $stat
	[[ $1 != Z ]] && echo "${20}" # a zombie has exited: gone
}

# Processes in the lab's namespaces now: "PID STARTTIME COMMAND" lines.
processes_in_lab_namespaces() {
	local ids p st net mnt
	ids=" $(lab_namespace_ids | tr '\n' ' ') "
	for p in /proc/[0-9]*; do
		net=$(readlink "$p/ns/net" 2>/dev/null) || net=none
		mnt=$(readlink "$p/ns/mnt" 2>/dev/null) || mnt=none
		[[ $ids == *" $net "* || $ids == *" $mnt "* ]] || continue
		st=$(start_time "${p#/proc/}") || continue
		echo "${p#/proc/} $st $(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)"
	done
	return 0
}

record_lab_identity() {
	LAB_PROCS=$(processes_in_lab_namespaces)
	[[ -n $LAB_PROCS ]] || fail "lab $LAB has no processes to check"
}

# Those of the recorded processes that still run.
recorded_processes_alive() {
	local pid st cmd
	while read -r pid st cmd; do
		[[ -n $pid && $(start_time "$pid" || true) == "$st" ]] && echo "$pid $cmd"
	done <<<"$LAB_PROCS"
	return 0
}

assert_lab_gone() {
	local left
	left=$(ip netns list | awk '{print $1}' | grep -E "^clu-$LAB-(hub|client|n[0-9]+)\$" || true)
	[[ -z $left ]] || fail "namespaces left after down: $left"
	left=$(grep -E " ($LAB_ROOT/$LAB|/run/netns/clu-$LAB-)" /proc/self/mountinfo || true)
	[[ -z $left ]] || fail "mounts left after down: $left"
	left=$(recorded_processes_alive)
	[[ -z $left ]] || fail "processes left after down: $left"
	[[ ! -e $LAB_ROOT/$LAB ]] || fail "state dir $LAB_ROOT/$LAB left after down"
}

WORK=$(mktemp -d)
