# Issue 12 acceptance: a lab node killed (hard power-off: `lab kill`, with
# the lab's fence agent) in each phase of a run, on one 3-node lab reset
# between phases (`lab reset`):
#   drain     sp2 in place, n2 killed while its drain step runs;
#   install   sp2 in place, the owner n1 killed while its installer runs,
#             between maild 2 in place and the store migrated (the demo
#             installer holds there): n1 comes back with a maild that refuses
#             the store until its installer has run again;
#   verify    sp2 in place, n2 killed while its verify runs;
#   undrain   sp2 in place, n2 killed while its undrain runs;
#   move      sp3 rolling, the switchover's target killed while it moves;
#   control   sp2 in place run inside n1 (`--cluster pacemaker`, others
#             over ssh, as t1050), n1 killed, with clupdate on it, during
#             n3's install; resumed from n2.
# Each landed from the journal, not by sleeping. After each kill:
#  - clupdate stops as the failure policy says (max-failed-nodes = 0 in both
#    packs: the run ends failed, naming why; the control node's run dies
#    with its node);
#  - at no instant does mail run on a node older than its data: checked on
#    every state snapshot the journal took, and on a sampler's readings
#    during the whole phase (the store's FORMAT first, then where crm_mon
#    says mail is started, then those nodes' installed VERSION);
#  - the killed node is powered on again (`lab start`) once the cluster
#    has fenced it, then `resume` ends with a clean cluster: every node at
#    the target version (binary and attribute), nothing of clupdate's left
#    (constraints, is-managed, standby, lock), mail running;
#  - no message acknowledged to the probes of every run of the phase is
#    missing from the store (the demo's check-delivered on the owner).
# Prints how many phases ran.
#
# 'install': when the owner dies under the pin, mail runs nowhere; resume
# first unpins it so the engine starts it on that node again (only in part:
# maild 2 refuses the store of format 1, "not installed"), then updates that
# node as the owner (its installer migrates the store it finds there), and
# its unpin has the engine start maild. That first resume is killed between
# the restart and the pin (frozen at its group-in-part event, by PID): the
# next one finds mail managed and in part on n1, and takes it as it is
# there (its pin first, no restart, no drain of n1 away from its data).
source "$SRCDIR/tests/lib/lab.sh"
lab_start "t1110-$$" 3 --fencing lab
sp2=$SRCDIR/build/demo/sp2/sp2.conf
sp3=$SRCDIR/build/demo/sp3/sp3.conf
PHASES=0

# ---- the sampler ---------------------------------------------------------------

# sample_loop FILE: until FILE.stop exists, one line per reading:
# "DATA NODE=VERSION..." for the nodes where a member of mail is started.
sample_loop() {
	local file=$1 fmt xml n nodes line
	while [[ ! -e $file.stop ]]; do
		fmt=$(cat "$LAB_ROOT/$LAB/store/FORMAT" 2>/dev/null || echo 0)
		xml=
		for n in n1 n2 n3; do
			xml=$(on "$n" crm_mon --one-shot --output-as=xml 2>/dev/null) && break
		done
		[[ -n $xml ]] || { sleep 0.2; continue; }
		nodes=$(xmllint --xpath "//group[@id='mail']/resource[@role='Started']/node/@name" - \
			<<<"$xml" 2>/dev/null | grep -o '"[^"]*"' | tr -d '"' | sort -u) || true
		line=$fmt
		for n in $nodes; do
			line+=" $n=$(cat "$LAB_ROOT/$LAB/nodes/$n/opt-clupdate-mail/VERSION" 2>/dev/null || echo 0)"
		done
		echo "$line" >>"$file"
		sleep 0.2
	done
}
SAMPLER=
sampler_start() { rm -f "$1" "$1.stop"; sample_loop "$1" & SAMPLER=$!; }
sampler_check() {
	local file=$1 phase=$2 fmt pair n=0
	touch "$file.stop"
	wait "$SAMPLER" || true
	SAMPLER=
	while read -r fmt rest; do
		n=$((n + 1))
		for pair in $rest; do
			((${pair#*=} >= fmt)) ||
				fail "$phase: sample $n: mail started on ${pair%=*} (version ${pair#*=}) with data at $fmt"
		done
	done <"$file"
	((n > 10)) || fail "$phase: the sampler read only $n samples"
	note "$phase: $n samples, mail never on a node older than the store"
}

# ---- the checks -------------------------------------------------------------------

# Every journal snapshot of every run: mail's owner is not older than its data.
snapshots_check() {
	local phase=$1 bad
	bad=$(sqlite3 "$state/journal.db" "SELECT run_id, step, phase, cluster_json FROM snapshots" |
		while IFS='|' read -r run step when json; do
			jq -r --arg at "run $run step $step $when" '. as $c | $c.groups[]
				| select(.owner != null and .["data-version"] != null) as $g
				| $c.nodes[] | select(.name == $g.owner and .version != null
				  and (.version | tonumber) < ($g["data-version"] | tonumber))
				| "\($at): \($g.name) on \(.name) at \(.version), data \($g["data-version"])"' <<<"$json"
		done)
	[[ -z $bad ]] || fail "$phase: a snapshot has mail on an older node: $bad"
	[[ $(sqlite3 "$state/journal.db" "SELECT count(*) FROM snapshots") -gt 0 ]] ||
		fail "$phase: the journal has no snapshots"
}

# NODE is back: a member again (online, no longer pending), the partition
# has quorum, and the coordinator idle. Online alone is too early: while
# the node joins, an election runs and crm_mon may say there is no quorum,
# which clupdate refuses to plan from (CI met it: "the cluster has no
# quorum (only 3 of 3 nodes online)", n1 pending).
node_up() {
	local via xml
	for via in n2 n3; do
		xml=$(on "$via" crm_mon --one-shot --output-as=xml 2>/dev/null) && break
	done
	[[ $xml == *"<node name=\"$1\" id=\"${1#n}\" online=\"true\""* &&
	   $xml != *'pending="true"'* && $xml == *'with_quorum="true"'* ]] || return 1
	[[ $(dc_state "$via") == S_IDLE ]]
}

# How many fences of NODE the lab's fence helper has carried out.
fences_of() {
	local log=$LAB_ROOT/$LAB/fence/helper.log
	if [[ -f $log ]]; then grep -c " \(reboot\|off\) $1\$" "$log" || true; else echo 0; fi
}

# NODE, killed when it had had BEFORE fences, is fenced: the helper carried
# out one more, and the engine (read on n3, never a victim) holds it
# offline and no longer unclean.
fenced() {
	local node=$1 before=$2 xml
	(($(fences_of "$node") > before)) || return 1
	xml=$(on n3 crm_mon --one-shot --output-as=xml 2>/dev/null) || return 1
	[[ $(xmllint --xpath "string(//nodes/node[@name='$node']/@online)" - <<<"$xml") == false &&
	   $(xmllint --xpath "string(//nodes/node[@name='$node']/@unclean)" - <<<"$xml") == false ]]
}

# kill_node NAME NODE: a hard power-off of NODE for phase NAME.
FENCES_BEFORE=0
kill_node() {
	FENCES_BEFORE=$(fences_of "$2")
	"$CLUPDATE" lab kill --name "$LAB" "$2" 2>/dev/null || fail "$1: lab kill $2"
}

# power_on NAME NODE: once the cluster has fenced the killed NODE, power it
# on again and wait until it is back: the order of a real outage. Powered
# on before its fence (a node that was the DC can be back before the new
# DC gets to fence it), it is fenced while it rejoins: CI met that, n1
# rebooted by its fence in the middle of the resume.
power_on() {
	wait_until 120 "$1: $2 fenced" fenced "$2" "$FENCES_BEFORE"
	"$CLUPDATE" lab start --name "$LAB" "$2" >/dev/null 2>&1 || fail "$1: lab start $2"
	wait_until 120 "$1: $2 back online" node_up "$2"
}

# ---- one phase ----------------------------------------------------------------------

# phase NAME VERSION VICTIM MANIFEST SQL [apply options]: reset to VERSION,
# apply MANIFEST until SQL holds, kill VICTIM, then the checks, the node
# back and resume.
phase() {
	local name=$1 from=$2 victim=$3 manifest=$4 sql=$5 rc=0 to acked lost
	shift 5
	to=$((from + 1))
	"$CLUPDATE" lab reset --name "$LAB" --version "$from" >"$WORK/reset.log" 2>&1 ||
		{ cat "$WORK/reset.log" >&2; fail "$name: lab reset failed"; }
	[[ -z ${BEFORE_APPLY:-} ]] || "$BEFORE_APPLY" "$name"
	state=$WORK/state-$name
	sampler_start "$WORK/samples-$name"
	apply_until "$manifest" "$sql" "$@"
	note "$name: run $APPLY_RUN, killing $victim"
	kill_node "$name" "$victim"
	wait "$APPLY_PID" || rc=$?
	after_kill "$name" "$rc"
	power_on "$name" "$victim"
	[[ -z ${BEFORE_RESUME:-} ]] || "$BEFORE_RESUME" "$name"
	"$CLUPDATE" resume --state-dir "$state" --yes --output-as json \
		>"$WORK/resume-$name.json" 2>"$WORK/resume-$name.err" ||
		{ cat "$WORK/resume-$name.err" >&2; diagnose; fail "$name: resume failed"; }
	phase_end "$name" "$to"
}

# The run stopped as the policy says: failed (max-failed-nodes = 0), not
# succeeded, not hung.
after_kill() {
	local name=$1 rc=$2 message
	message=$(sqlite3 "$state/journal.db" "SELECT state || ': ' || coalesce(message, '') FROM runs
		WHERE id = $APPLY_RUN")
	[[ $rc == 9 || $rc == 6 ]] || { cat "$WORK/until.err" >&2; fail "$name: apply exited $rc ($message)"; }
	[[ $message == failed:* ]] || fail "$name: the run is not failed: $message"
	# Killed in its verify or undrain, n2 is not waited for (the step's
	# settle-timeout) once the engine has fenced it: it is gone.
	[[ $name != verify && $name != undrain || $message != *"did not settle within"* ]] ||
		fail "$name: the run waited out its settle-timeout for n2, gone: $message"
	note "$name: apply stopped (exit $rc): $message"
}

phase_end() {
	local name=$1 to=$2 acked lost
	assert_clean "$to" n2 "$name"   # (read on n2: n1 may be the one killed)
	read -r acked lost < <(probe_lost "$state")
	((acked > 0)) || fail "$name: no message acknowledged"
	((lost == 0)) || fail "$name: $lost of $acked acknowledged messages are lost"
	sampler_check "$WORK/samples-$name" "$name"
	snapshots_check "$name"
	PHASES=$((PHASES + 1))
	note "$name: resumed clean at version $to; $acked messages acknowledged, 0 lost"
}

# What the cluster and the store look like, for a failure.
diagnose() {
	local n
	echo "--- store FORMAT: $(cat "$LAB_ROOT/$LAB/store/FORMAT" 2>/dev/null || echo none)" >&2
	for n in n1 n2 n3; do
		echo "--- $n VERSION: $(cat "$LAB_ROOT/$LAB/nodes/$n/opt-clupdate-mail/VERSION" 2>/dev/null)" >&2
	done
	echo "--- the fence helper's log:" >&2
	cat "$LAB_ROOT/$LAB/fence/helper.log" >&2 2>&1 || true
	on n2 crm_mon --one-shot -rfA >&2 2>&1 || true
	on n2 cibadmin --query --scope resources >&2 2>&1 || true
}

# Which phases run: all by default; FAULT_PHASES="install move" picks some.
want() { [[ " ${FAULT_PHASES:-drain install verify undrain move control} " == *" $1 "* ]]; }

running() { echo "SELECT count(*) FROM step_attempts WHERE run_id = RUN AND action = '$1'
	AND node = '$2' AND state = 'running'"; }

want drain && phase drain 1 n2 "$sp2" "$(running drain n2)"
# n1 has maild 2, and the store is still at format 1: the kill finds n1
# so. A power loss is instant, the lab's kill takes longer than that
# window, so n1's installer holds in it (the demo installer's hold point,
# demo/README.md) until the node dies.
N1_PREFIX=$LAB_ROOT/$LAB/nodes/n1/opt-clupdate-mail
STORE_FORMAT=$LAB_ROOT/$LAB/store/FORMAT
hold_n1() { : >"$N1_PREFIX/HOLD-BEFORE-MIGRATION"; }
half_installed() {
	[[ -e $N1_PREFIX/HELD-BEFORE-MIGRATION ]] || return 1
	[[ $(cat "$N1_PREFIX/VERSION") == 2 && $(cat "$STORE_FORMAT") == 1 ]] ||
		fail "install: n1's installer holds, but n1 is not half-installed:" \
			"VERSION $(cat "$N1_PREFIX/VERSION"), store format $(cat "$STORE_FORMAT")"
}
# Back, its installer runs to the end.
release_n1() {
	rm -f "$N1_PREFIX/HOLD-BEFORE-MIGRATION" "$N1_PREFIX/HELD-BEFORE-MIGRATION"
	killed_before_the_pin "$1"
}

# signal_tree SIGNAL PID: SIGNAL to PID and every process below it, by
# PID, parents first (stopped, none of them can start another).
signal_tree() {
	local child
	kill "-$1" "$2" 2>/dev/null || return 0
	for child in $(ps -o pid= --ppid "$2"); do signal_tree "$1" "$child"; done
}

in_part_events() {
	sqlite3 "$state/journal.db" "SELECT count(*) FROM events WHERE run_id = $1 AND kind = 'group-in-part'"
}

# A resume killed between mail's restart on n1 and its pin: frozen with all
# it runs as soon as the journal has its group-in-part event (the restart
# is done), checked to be before the pin (mail managed), then killed.
killed_before_the_pin() {
	local name=$1 before pid run= i managed
	before=$(sqlite3 "$state/journal.db" "SELECT max(id) FROM runs")
	"$CLUPDATE" resume --state-dir "$state" --yes --output-as json \
		>"$WORK/resume-killed.json" 2>"$WORK/resume-killed.err" &
	pid=$!
	for ((i = 0; i < 12000; i++)); do
		run=$(sqlite3 "$state/journal.db" "SELECT max(id) FROM runs WHERE id > $before" 2>/dev/null || true)
		[[ -n $run && $(in_part_events "$run" 2>/dev/null) -ge 1 ]] && break
		kill -0 "$pid" 2>/dev/null ||
			{ cat "$WORK/resume-killed.err" >&2; fail "$name: the resume ended before mail came back in part"; }
		sleep 0.01
	done
	((i < 12000)) || fail "$name: mail never came back in part under the first resume"
	signal_tree STOP "$pid"
	signal_tree KILL "$pid"
	wait "$pid" 2>/dev/null || true
	managed=$(on n2 crm_mon --one-shot --output-as=xml |
		xmllint --xpath "string(//group[@id='mail']/resource[1]/@managed)" -)
	[[ $managed == true ]] ||
		fail "$name: the first resume was killed after its pin of mail (window missed): managed=$managed"
	note "$name: resume run $run killed with mail back in part on n1, before its pin"
	FIRST_RESUME_RUN=$run
}

# The killed resume found mail back on n1 only in part after its restart;
# the last one found it so at its pin, before any unpin (no restart), and
# went on (the journal's events of it).
came_back_in_part() {
	local last said first
	last=$(sqlite3 "$state/journal.db" "SELECT max(id) FROM runs")
	first=$(sqlite3 "$state/journal.db" "SELECT action FROM step_attempts WHERE run_id = $last
		AND action IN ('pin', 'unpin') ORDER BY step, attempt LIMIT 1")
	said=$(sqlite3 "$state/journal.db" "SELECT detail FROM events WHERE run_id = $last AND kind = 'group-in-part'")
	[[ $said == *"'mail' runs on 'n1' only in part"* && $first == pin ]] ||
		{ cat "$WORK/resume-install.err" >&2
		  fail "install: the last resume did not take mail in part as it was (first step $first): '$said'"; }
	(($(in_part_events "$FIRST_RESUME_RUN") == 1)) || fail "install: the killed resume's event is missing"
	note "install: $said"
}
if want install; then
	BEFORE_APPLY=hold_n1 UNTIL_ALSO=half_installed BEFORE_RESUME=release_n1 \
		phase install 1 n1 "$sp2" "$(running install n1)"
	came_back_in_part
fi
want verify && phase verify 1 n2 "$sp2" "$(running verify n2)"
want undrain && phase undrain 1 n2 "$sp2" "$(running undrain n2)"
# sp3 rolling moves mail to the first node it updated: n2.
want move && phase move 2 n2 "$sp3" "$(running move n2)" --strategy rolling

# ---- control: clupdate runs on n1, which dies ---------------------------------
control_phase() {
	"$CLUPDATE" lab reset --name "$LAB" --version 1 >"$WORK/reset.log" 2>&1 || fail "control: lab reset failed"
	state=$WORK/state-control
	mkdir -p "$state"
	sampler_start "$WORK/samples-control"
	on n1 "$CLUPDATE" apply "$sp2" --ssh-config "$(lab_ssh_config)" --state-dir "$state" --yes \
		--output-as json >"$WORK/control.json" 2>"$WORK/control.err" &
	control=$!
	sql=$(running install n3)
	for ((i = 0; i < 2400; i++)); do
		run=$(sqlite3 "$state/journal.db" "SELECT max(id) FROM runs" 2>/dev/null || true)
		[[ $(sqlite3 "$state/journal.db" "${sql//RUN/${run:-0}}" 2>/dev/null) == 1 ]] && break
		kill -0 "$control" 2>/dev/null || fail "control: apply on n1 ended early: $(cat "$WORK/control.err")"
		sleep 0.05
	done
	((i < 2400)) || fail "control: the install on n3 never came"
	note "control: run $run at n3's install; killing n1, where clupdate runs"
	kill_node control n1
	wait "$control" 2>/dev/null || true
	[[ $(sqlite3 "$state/journal.db" "SELECT state FROM runs WHERE id = $run") == running ]] ||
		fail "control: the run on the killed node did not die with it"
	power_on control n1
	# From n2: the lock's holder (n1's clupdate) is on another host: its
	# heartbeat is watched, then the lock taken over.
	on n2 "$CLUPDATE" resume --cluster pacemaker --ssh-config "$(lab_ssh_config)" --state-dir "$state" \
		--yes --break-lock=10 --output-as json >"$WORK/resume-control.json" 2>"$WORK/resume-control.err" ||
		{ cat "$WORK/resume-control.err" >&2; fail "control: resume from n2 failed"; }
	phase_end control 2
}
want control && control_phase

wanted=${FAULT_PHASES:-drain install verify undrain move control}
note "$PHASES phases ran ($wanted), each ended clean"
((PHASES == $(wc -w <<<"$wanted"))) || fail "only $PHASES phases of '$wanted' ran"
