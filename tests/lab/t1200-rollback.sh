# Issue 12: `clupdate rollback` on a real cluster, one 3-node lab for three
# scenarios, each under the SMTP probe's load with 0 acknowledged messages
# lost, the lab reset to version 1 between them:
#  1. sp3 (rolling) killed right after its first node's verify, then rolled
#     back: every node at maild 1, nothing of clupdate's left in the CIB.
#  2. sp2 killed right after the owner's verify (its install migrated the
#     store): the rollback is refused (exit 5, the group, the node and the
#     missing down-migration named) and changes nothing in the CIB
#     (constraints, node attributes, resources compared before and after).
#  3. sp2d (sp2 with a down-migration of the store) applied, then rolled back
#     in place: one interruption (the owner's down-migration and rollback),
#     the group never on a node older than its data (the journal's
#     snapshots), every node at 1 and every acknowledged message in the
#     store (check-delivered, through the report).
source "$SRCDIR/tests/lib/lab.sh"
lab_start "t1200-$$" 3
state=$WORK/state
demo=$SRCDIR/build/demo

reset() { "$CLUPDATE" lab reset --name "$LAB" --version 1 >"$WORK/reset.log" 2>&1 ||
	{ cat "$WORK/reset.log" >&2; fail "lab reset failed"; }; }

# at_version V: maild V on every node, and its node attribute.
at_version() {
	local n
	for n in n1 n2 n3; do
		[[ $(on "$n" /opt/clupdate-mail/bin/maild --version) == "$1" ]] || fail "$n: maild is not $1"
		[[ $(on n1 crm_attribute --node "$n" --name mail-version --query --quiet) == "$1" ]] ||
			fail "$n: mail-version is not $1"
	done
}

# Nothing of clupdate's is left in the CIB.
assert_clean() {
	local cib
	cib=$(on n1 cibadmin --query)
	grep -q 'name="is-managed"' <<<"$cib" && fail "mail is left unmanaged"
	grep -q 'clupdate-ban-\|clupdate-prefer-' <<<"$cib" && fail "a constraint of clupdate is left"
	grep -q 'name="standby" value="on"' <<<"$cib" && fail "a node is left drained"
	grep -q 'cluster_property_set id="clupdate-lock"' <<<"$cib" && fail "the lock is left"
	return 0
}

# no_loss JSON: the run measured load and lost no acknowledged message.
no_loss() {
	[[ $(jq '.report.acknowledged' "$1") -gt 0 ]] || fail "no message acknowledged: no load"
	[[ $(jq '.report.lost' "$1") == 0 ]] || fail "lost messages (or not checked): $(jq -c .report "$1")"
	note "$(jq '.report.acknowledged' "$1") messages acknowledged, 0 lost"
}

rollback() {
	"$CLUPDATE" rollback "$1" --cluster "lab:$LAB" --state-dir "$state" --yes --output-as json \
		>"$WORK/rollback.json" 2>"$WORK/rollback.err"
}

# --- 1. sp3 stopped after its first node, rolled back to 1 -------------------
kill_when "$demo/sp3/sp3.conf" \
	"SELECT count(*) FROM step_attempts WHERE run_id = RUN AND action = 'verify' AND state = 'done'" \
	--strategy rolling
updated=$(sqlite3 "$state/journal.db" "SELECT node FROM step_attempts WHERE run_id = $KILLED_RUN AND action = 'verify' AND state = 'done'")
[[ $(on "$updated" /opt/clupdate-mail/bin/maild --version) == 3 ]] || fail "the killed run had not updated $updated"
note "1. killed sp3 run $KILLED_RUN after the verify of $updated"
rollback "$demo/sp3/sp3.conf" || { cat "$WORK/rollback.err" >&2; fail "rollback of sp3 failed"; }
[[ $(jq -r .run.strategy "$WORK/rollback.json") == rollback ]] || fail "not journalled as a rollback"
[[ $(jq -r '[.run.steps[] | select(.action == "install") | .node] | join(" ")' "$WORK/rollback.json") == "$updated" ]] ||
	fail "rolled back other nodes than $updated: $(jq -c .run.steps "$WORK/rollback.json")"
at_version 1
assert_clean
no_loss "$WORK/rollback.json"

# --- 2. sp2 stopped after the owner's migration: rollback refused -------------
reset
owner=$(owner_of mail) || fail "mail is not running"
kill_when "$demo/sp2/sp2.conf" \
	"SELECT count(*) FROM step_attempts WHERE run_id = RUN AND step = 3 AND action = 'verify' AND state = 'done'"
[[ $(on "$owner" /opt/clupdate-mail/bin/maild --version) == 2 ]] || fail "the killed run had not updated $owner"
snapshot() { local s; for s in constraints nodes resources crm_config; do on n1 cibadmin --query --scope "$s"; done; }
snapshot >"$WORK/cib-before.xml"
rc=0
rollback "$demo/sp2/sp2.conf" || rc=$?
((rc == 5)) || fail "rollback of migrated sp2 exited $rc, not 5: $(cat "$WORK/rollback.err")"
for part in "the data of group 'mail' is migrated" "on '$owner', its owner" \
	"declares no down-migration command"; do
	grep -qF "$part" "$WORK/rollback.err" || fail "the refusal does not say '$part': $(cat "$WORK/rollback.err")"
done
snapshot >"$WORK/cib-after.xml"
diff -u "$WORK/cib-before.xml" "$WORK/cib-after.xml" >&2 || fail "the refused rollback changed the CIB"
note "2. rollback refused: $(cat "$WORK/rollback.err")"

# --- 3. sp2d applied, then rolled back in place with its down-migration ------
reset
owner=$(owner_of mail) || fail "mail is not running"
"$CLUPDATE" apply "$demo/sp2d/sp2d.conf" --cluster "lab:$LAB" --state-dir "$state" --yes \
	--output-as json >"$WORK/apply.json" 2>"$WORK/apply.err" ||
	{ cat "$WORK/apply.err" >&2; fail "apply of sp2d failed"; }
at_version 2
[[ $(<"$LAB_ROOT/$LAB/store/FORMAT") == 2 ]] || fail "sp2d did not migrate the store"
no_loss "$WORK/apply.json"
rollback "$demo/sp2d/sp2d.conf" || { cat "$WORK/rollback.err" >&2; fail "rollback of sp2d failed"; }
run=$(jq -r .run.id "$WORK/rollback.json")
at_version 1
assert_clean
[[ $(<"$LAB_ROOT/$LAB/store/FORMAT") == 1 ]] || fail "the store is not back at format 1"
[[ $(owner_of mail) == "$owner" ]] || fail "mail moved from $owner (in place must not move it)"
no_loss "$WORK/rollback.json"     # check-delivered, on the owner, with maild 1
# The group never ran on a node older than its data, nor on one its data is
# too old for: in every snapshot it runs on the owner, at 2 until the
# owner's step (2: down-migration and rollback) and at 1 from then on.
sqlite3 "$state/journal.db" "SELECT step, phase, cluster_json FROM snapshots
	WHERE run_id = $run ORDER BY id" >"$WORK/snapshots"
[[ -s $WORK/snapshots ]] || fail "the journal has no state snapshots"
while IFS='|' read -r step phase json; do
	read -r on_node version < <(jq -r '. as $c | $c.groups[] | select(.name == "mail") as $g |
		$c.nodes[] | select(.name == $g.owner) | "\(.name) \(.version)"' <<<"$json")
	want=1
	((step < 2)) || [[ $step == 2 && $phase != after ]] && want=2
	[[ -z ${on_node:-} ]] || [[ $on_node == "$owner" && $version == "$want" ]] ||
		fail "snapshot $phase step $step: mail runs on $on_node at version $version"
done <"$WORK/snapshots"
"$CLUPDATE" report "$run" --state-dir "$state" --output-as json >"$WORK/report.json"
[[ $(jq '.report.outages | length' "$WORK/report.json") == 1 ]] ||
	fail "expected exactly one outage window: $(jq -c .report.outages "$WORK/report.json")"
[[ $(jq -r '.report.outages[0] | "\(.step_action) \(.step_node)"' "$WORK/report.json") == "install $owner" ]] ||
	fail "the outage is not attributed to the owner's rollback on $owner"
note "3. one outage of $(jq '.report.outages[0].duration_ms' "$WORK/report.json") ms"
exit 0
