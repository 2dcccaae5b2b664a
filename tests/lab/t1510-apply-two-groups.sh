# Issue 11, "a second demo group": a 5-node lab with two groups of the
# mail service (`lab up --groups 2`: mail on n1, mail2 on n2, each with its
# own virtual IP and store), one update run for both, under an SMTP probe
# on each virtual IP:
#  A. sp2 in place (it migrates each store on its owner): each group sees
#     exactly one outage, caused by the install on its own owner, and stays
#     there; the version guard holds for both groups in every state snapshot
#     the journal took; 0 acknowledged messages lost for each group;
#  B. after `lab reset --version 2` (both groups home again), sp3 rolling:
#     each group exactly one outage, caused by its own move, and each ends
#     on the node it was moved to; 0 acknowledged messages lost for each.
source "$SRCDIR/tests/lib/lab.sh"
lab_start "t1510-$$" 5 --groups 2
state=$WORK/state
groups=(mail mail2)
declare -A home=([mail]=n1 [mail2]=n2)
nodes=(n1 n2 n3 n4 n5)

# They start apart, on their homes; status names both.
[[ $(owner_of mail) == n1 && $(owner_of mail2) == n2 ]] ||
	fail "the groups did not start on their homes: mail on $(owner_of mail), mail2 on $(owner_of mail2)"
"$CLUPDATE" lab status --name "$LAB" >"$WORK/status.txt" || fail "lab status failed"
grep -q "^group mail2: virtual IP .*\.101, SMTP port 25, store .*/store2, owner n2\$" "$WORK/status.txt" ||
	fail "lab status does not show mail2: $(cat "$WORK/status.txt")"

# all_at VERSION: every node runs maild VERSION.
all_at() {
	local n
	for n in "${nodes[@]}"; do
		[[ $(on "$n" /opt/clupdate-mail/bin/maild --version) == "$1" ]] || fail "$n: maild is not $1"
	done
}

# run_both MANIFEST STRATEGY: apply it to both groups, to the end; the
# report in $WORK/report.json, the run in $WORK/apply.json.
run_both() {
	"$CLUPDATE" apply "$1" --strategy "$2" --cluster "lab:$LAB" --state-dir "$state" --yes \
		--output-as json >"$WORK/apply.json" 2>"$WORK/apply.err" ||
		{ cat "$WORK/apply.err" >&2; fail "$(basename "$1") $2 failed"; }
	[[ $(jq -r .run.state "$WORK/apply.json") == succeeded ]] || fail "run state: $(jq -c .run "$WORK/apply.json")"
	grep -q 'clupdate-' <<<"$(on n1 cibadmin --query --scope constraints)" &&
		fail "a clupdate constraint is left: $(on n1 cibadmin --query --scope constraints)"
	"$CLUPDATE" report "$(jq -r .run.id "$WORK/apply.json")" --state-dir "$state" --output-as json \
		>"$WORK/report.json"
	[[ $(jq '.report.outages | length' "$WORK/report.json") == 2 ]] ||
		fail "expected one outage per group: $(jq -c .report.outages "$WORK/report.json")"
}

# one_outage GROUP ACTION NODE: GROUP had exactly one outage, during the
# step ACTION on NODE; its probe's check ran and found every acknowledged
# message (more than none) in GROUP's store.
one_outage() {
	local g=$1 action=$2 node=$3 checked
	[[ $(jq --arg g "$g" '[.report.outages[] | select(.group == $g)] | length' "$WORK/report.json") == 1 ]] ||
		fail "$g: not exactly one outage: $(jq -c .report.outages "$WORK/report.json")"
	[[ $(jq -r --arg g "$g" '.report.outages[] | select(.group == $g) | "\(.step_action) \(.step_node)"' \
		"$WORK/report.json") == "$action $node" ]] ||
		fail "$g: the outage is not attributed to the $action on $node: $(jq -c .report.outages "$WORK/report.json")"
	checked=$(jq -r --arg g "$g" '.run.events[] | select(.kind == "probe-checked" and .group == $g) | .detail' \
		"$WORK/apply.json")
	[[ $checked =~ ^acknowledged=([0-9]+)\ lost=0\  ]] && ((BASH_REMATCH[1] > 0)) ||
		fail "$g: acknowledged messages lost, none acknowledged, or not checked: '$checked'"
	note "$g: one outage of $(jq --arg g "$g" '.report.outages[] | select(.group == $g) | .duration_ms' \
		"$WORK/report.json") ms, on the $action on $node; ${checked%% on=*}"
}

# --- A. sp2 in place, both groups ------------------------------------------
run_both "$SRCDIR/build/demo/sp2/sp2-two-groups.conf" in-place
all_at 2
[[ $(owner_of mail) == n1 && $(owner_of mail2) == n2 ]] || fail "in place moved a group"
one_outage mail install n1
one_outage mail2 install n2

# The version guard, for each group: from the end of the install on its
# owner (which migrated its store), every snapshot's owner of it is at 2.
run=$(jq -r .run.id "$WORK/apply.json")
sqlite3 "$state/journal.db" "SELECT step, phase, cluster_json FROM snapshots
	WHERE run_id = $run ORDER BY id" >"$WORK/snapshots"
[[ -s $WORK/snapshots ]] || fail "the journal has no state snapshots"
checked=0
for g in "${groups[@]}"; do
	migrated=$(jq --arg n "${home[$g]}" '.run.steps[] | select(.action == "install" and .node == $n) | .index' \
		"$WORK/apply.json")
	[[ -n $migrated ]] || fail "no install on ${home[$g]}"
	while IFS='|' read -r step phase json; do
		((step > migrated)) || [[ $step == "$migrated" && $phase == after ]] || continue
		version=$(jq -r --arg g "$g" '. as $c | $c.groups[] | select(.name == $g) as $x |
			$c.nodes[] | select(.name == $x.owner) | .version' <<<"$json")
		[[ -z $version || $version == 2 ]] ||
			fail "snapshot $phase step $step: $g runs on a node at version $version"
		checked=$((checked + 1))
	done <"$WORK/snapshots"
done
((checked > 0)) || fail "no snapshot after the migrations to check"
note "version guard held in $checked snapshots (both groups)"

# --- B. sp3 rolling, both groups, from a fresh version-2 lab ---------------
"$CLUPDATE" lab reset --name "$LAB" --version 2 >"$WORK/reset.log" 2>&1 ||
	{ cat "$WORK/reset.log" >&2; fail "lab reset failed"; }
[[ $(owner_of mail) == n1 && $(owner_of mail2) == n2 ]] ||
	fail "reset did not put the groups home: mail on $(owner_of mail), mail2 on $(owner_of mail2)"
run_both "$SRCDIR/build/demo/sp3/sp3-two-groups.conf" rolling
all_at 3
on n1 crm_resource --wait --timeout=120 >/dev/null 2>&1 || fail "the cluster did not settle"
for g in "${groups[@]}"; do
	target=$(jq -r --arg g "$g" '.run.steps[] | select(.action == "move" and .group == $g) | .node' \
		"$WORK/apply.json")
	[[ -n $target ]] || fail "$g was not moved"
	one_outage "$g" move "$target"
	# No failback: it stays on the node it was moved to.
	[[ $(owner_of "$g") == "$target" ]] || fail "$g runs on $(owner_of "$g"), not on $target where it was moved"
done
