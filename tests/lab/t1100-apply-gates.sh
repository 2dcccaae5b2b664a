# Issue 11: the gates between nodes on a real 3-node lab, under the smtp
# probe's load (0 acknowledged messages lost each time), on one lab reset
# to version 2 between the runs:
#  A. demo/sp3/sp3-gates.conf, rolling: a hook logs before and after each
#     node's update on the node; the installer fails once on each node and
#     succeeds on its retry (retries = 1: the report shows both attempts);
#     it does not write the node attribute, so clupdate records mail-version
#     itself after each verify; check-health starts maild 3 on each node
#     after its verify, then the run soaks and checks again; after the
#     switchover the probe sees mail answer again before the run goes on;
#     the outage stays within max-outage = 2m (the report shows both).
#  B. in place, max-failed-nodes = 2: a veto file on n2 makes the pre hook
#     veto it (not retried, not installed), and the port check-health needs
#     is taken on n3, so its health gate fails: both nodes failed, n1 done.
#  C. in place, max-failed-nodes = 0: the veto on n2 stops the run safely.
#  D. in place, max-outage = 1ms: the owner's install exceeds it and the
#     run stops before the next node: nothing pinned, nothing drained.
source "$SRCDIR/tests/lib/lab.sh"
lab_start "t1100-$$" 3
state=$WORK/state
gates=$SRCDIR/build/demo/sp3/sp3-gates.conf
# Variants of the demo manifest sit next to a copy of its scripts.
cp -a "$SRCDIR/build/demo/sp3" "$WORK/sp3"
opt() { echo "$LAB_ROOT/$LAB/nodes/$1/opt-clupdate-mail"; }

reset_lab() {
	"$CLUPDATE" lab reset --name "$LAB" --version 2 >"$WORK/reset.out" 2>&1 ||
		{ cat "$WORK/reset.out" >&2; fail "lab reset failed"; }
	rm -f "$(opt n1)/hooks.log" "$(opt n2)/hooks.log" "$(opt n3)/hooks.log"
}

# variant NAME SED...: the gates manifest, in place, edited, as $WORK/sp3/NAME.conf.
variant() {
	local name=$1
	shift
	sed -e 's/^strategy = rolling/strategy = in-place/' -e '/^soak = /d' \
		-e 's/^command = .*/command = MAIL_NO_ATTRIBUTE=1 "$CLU_MANIFEST_DIR\/install"/' \
		"$@" "$gates" >"$WORK/sp3/$name.conf"
	echo "$WORK/sp3/$name.conf"
}

# apply_to NAME MANIFEST EXPECTED_EXIT: apply, JSON in $WORK/NAME.json, report in $WORK/NAME-report.json.
apply_to() {
	local name=$1 manifest=$2 want=$3 rc=0 run
	"$CLUPDATE" apply "$manifest" --cluster "lab:$LAB" --state-dir "$state" --yes \
		--output-as json >"$WORK/$name.json" 2>"$WORK/$name.err" || rc=$?
	[[ $rc == "$want" ]] || { cat "$WORK/$name.err" >&2; fail "$name: exit $rc, expected $want"; }
	run=$(jq -r .run.id "$WORK/$name.json")
	"$CLUPDATE" report "$run" --state-dir "$state" --output-as json >"$WORK/$name-report.json"
	[[ $(jq '.report.acknowledged' "$WORK/$name-report.json") -gt 0 ]] || fail "$name: no message acknowledged"
	[[ $(jq '.report.lost' "$WORK/$name-report.json") == 0 ]] || fail "$name: lost messages (or not checked)"
	note "$name: exit $rc, $(jq '.report.acknowledged' "$WORK/$name-report.json") messages acknowledged, 0 lost"
}

# steps_of NAME ACTION NODE: "ATTEMPT=STATE ..." of the run's records.
steps_of() {
	jq -r --arg a "$2" --arg n "$3" '[.run.steps[] | select(.action == $a and .node == $n) |
		"\(.attempt)=\(.state)"] | join(" ")' "$WORK/$1.json"
}
events_of() { jq -r --arg k "$2" '.run.events[] | select(.kind == $k) | "\(.source): \(.detail)"' "$WORK/$1.json"; }
attribute() { on n1 crm_attribute --node "$1" --name mail-version --query --quiet; }
maild_version() { on "$1" /opt/clupdate-mail/bin/maild --version; }
nothing_left() {
	grep -q 'name="is-managed"' <<<"$(on n1 cibadmin --query)" && fail "$1: a group is left pinned"
	grep -q 'name="standby" value="on"' <<<"$(on n1 cibadmin --query)" && fail "$1: a node is left drained"
	return 0
}

# --- A. every gate passed ------------------------------------------------
reset_lab
apply_to A "$gates" 0
run=$(jq -r .run.id "$WORK/A.json")
for n in n1 n2 n3; do
	[[ $(maild_version "$n") == 3 ]] || fail "A: $n does not run maild 3"
	# The installer did not write it (MAIL_NO_ATTRIBUTE=1): clupdate did.
	[[ $(attribute "$n") == 3 ]] || fail "A: mail-version of $n is $(attribute "$n"), not 3"
	jq -e --arg n "$n" '[.run.changes[] | select(.kind == "node-attribute" and .target == $n and
		.name == "mail-version" and .value == "3" and .state == "applied")] | length == 1' \
		"$WORK/A.json" >/dev/null || fail "A: no journalled change records mail-version 3 on $n"
	# The hook ran on the node, pre then post, in this run.
	grep -q "mail-sp3 install node=$n host=$n " "$(opt "$n")/where.log" || fail "A: no install ran on $n"
	[[ $(grep -o "[a-z]* log node=$n host=$n run=$run" "$(opt "$n")/hooks.log" | cut -d' ' -f1 | paste -sd,) == pre,post ]] ||
		fail "A: $n's hooks.log is not pre then post of run $run: $(cat "$(opt "$n")/hooks.log")"
	# Installed on the second attempt: the first failed (fail-once).
	[[ $(steps_of A install "$n") == "1=failed 2=done" ]] || fail "A: install attempts on $n: $(steps_of A install "$n")"
	[[ $(jq -r --arg n "$n" '[.report.steps[] | select(.action == "install" and .node == $n) |
		"\(.attempt)=\(.state)"] | join(" ")' "$WORK/A-report.json") == "1=failed 2=done" ]] ||
		fail "A: the report does not show both install attempts on $n"
	# The health gate, after the install and after the soak.
	events_of A health-check | grep -q "^$n: after the install: passed" || fail "A: no health check passed on $n"
	events_of A health-check | grep -q "^$n: after the soak: passed" || fail "A: no health check after the soak on $n"
	events_of A soak-end | grep -q "^$n: ms=" || fail "A: no soak on $n"
	grep -q " check node=$n host=$n " "$(opt "$n")/where.log" || fail "A: check-health did not run on $n"
done
nothing_left A
jq -e '.report.outages | length == 1' "$WORK/A-report.json" >/dev/null ||
	fail "A: expected one outage (the switchover): $(jq -c .report.outages "$WORK/A-report.json")"
[[ $(jq -r '.report.outages[0].step_action' "$WORK/A-report.json") == move ]] || fail "A: the outage is not the move's"
probe=$(jq -c '.report.probes[0]' "$WORK/A-report.json")
[[ $(jq '.max_outage_ms' <<<"$probe") == 120000 && $(jq '.over_budget' <<<"$probe") == false ]] ||
	fail "A: the report does not show the budget kept: $probe"
(($(jq '.longest_outage_ms' <<<"$probe") > 0)) || fail "A: no outage measured against the budget: $probe"
[[ $(jq '.back' <<<"$probe") == true && $(jq '.back_after_switchover_ms' <<<"$probe") != null ]] ||
	fail "A: the report does not show the service back after the switchover: $probe"
"$CLUPDATE" report "$run" --state-dir "$state" >"$WORK/A-report.txt"
grep -q "outage budget (max-outage) 120000 ms, longest outage measured [0-9]* ms: kept" "$WORK/A-report.txt" ||
	fail "A: the text report does not show budget versus measured: $(cat "$WORK/A-report.txt")"
note "A: outage $(jq '.longest_outage_ms' <<<"$probe") ms of a 120000 ms budget;" \
	"mail answered $(jq '.back_after_switchover_ms' <<<"$probe") ms after the switchover settled"

# --- B. a veto and a failed health gate, both nodes given up ----------------
reset_lab
touch "$(opt n2)/veto"
on n3 "$SRCDIR/build/demo/maild-2" --listen 127.0.0.1:2525 --store "$WORK/blocker" \
	--pidfile "$WORK/blocker.pid" --log "$WORK/blocker.log" || fail "cannot take port 2525 on n3"
apply_to B "$(variant B -e 's/^max-failed-nodes = .*/max-failed-nodes = 2/')" 9
kill "$(cat "$WORK/blocker.pid")"
rm -f "$(opt n2)/veto"
grep -q "2 nodes failed" "$WORK/B.err" || fail "B: not two nodes failed: $(cat "$WORK/B.err")"
[[ $(maild_version n1) == 3 && $(attribute n1) == 3 ]] || fail "B: n1 is not updated"
[[ $(steps_of B pre-hook n2) == "1=failed" ]] || fail "B: the veto was retried: $(steps_of B pre-hook n2)"
[[ $(steps_of B install n2) != *done* ]] || fail "B: the vetoed n2 was installed"
[[ $(maild_version n2) == 2 && $(attribute n2) == 2 ]] || fail "B: the vetoed n2 changed"
grep -q "pre log node=n2 .* vetoed" "$(opt n2)/hooks.log" || fail "B: n2's hook did not log its veto"
events_of B health-check | grep -q "^n3: after the install: failed.*cannot start here" ||
	fail "B: n3's health gate did not fail: $(events_of B health-check)"
events_of B node-failed | grep -q "^n2: " || fail "B: n2 is not counted failed"
events_of B node-failed | grep -q "^n3: " || fail "B: n3 is not counted failed"
[[ $(owner_of mail) == n1 ]] || fail "B: mail moved"

# --- C. a veto stops the run -----------------------------------------------
reset_lab
touch "$(opt n2)/veto"
apply_to C "$(variant C -e 's/^max-failed-nodes = .*/max-failed-nodes = 0/')" 9
rm -f "$(opt n2)/veto"
grep -q "hook 'log' vetoed node 'n2'" "$WORK/C.err" || fail "C: the veto is not named: $(cat "$WORK/C.err")"
[[ $(jq -r '.run.steps[-1] | "\(.action) \(.node) \(.state)"' "$WORK/C.json") == "pre-hook n2 failed" ]] ||
	fail "C: the run did not stop at n2's veto"
[[ $(maild_version n3) == 2 ]] || fail "C: n3 was updated after the veto stopped the run"
grep -q 'name="is-managed"' <<<"$(on n1 cibadmin --query)" && fail "C: mail is left pinned"
[[ $(owner_of mail) == n1 ]] || fail "C: mail moved"

# --- D. an outage over the budget stops the run after the owner -------------
reset_lab
apply_to D "$(variant D -e '/^\[hook/,/^$/d' -e 's/^max-outage = .*/max-outage = 1ms/')" 9
grep -q "over its budget (max-outage = 1 ms): stopped before step [0-9]* (drain)" "$WORK/D.err" ||
	fail "D: the run did not stop on the budget before a drain: $(cat "$WORK/D.err")"
[[ $(maild_version n1) == 3 ]] || fail "D: the owner was not updated"
[[ $(maild_version n2) == 2 && $(maild_version n3) == 2 ]] || fail "D: a passive node was updated"
jq -e '[.run.steps[] | select(.action == "drain")] | length == 0' "$WORK/D.json" >/dev/null ||
	fail "D: a node was drained"
nothing_left D
probe=$(jq -c '.report.probes[0]' "$WORK/D-report.json")
[[ $(jq '.max_outage_ms' <<<"$probe") == 1 && $(jq '.over_budget' <<<"$probe") == true ]] ||
	fail "D: the report does not show the budget exceeded: $probe"
note "D: stopped after the owner: outage $(jq '.longest_outage_ms' <<<"$probe") ms over a 1 ms budget"
