# Issue 11, parallel waves on the real engine: a 5-node lab, the demo's sp2
# in place with max-unavailable 3 (sp2-waves.conf), under the SMTP probe's
# load. The quorum margin keeps waves at two nodes (3 votes of 5 needed):
# the owner alone, pinned, then {two passives}, {two passives}. Checked:
#  - the journalled plan has those waves, and no step below quorum;
#  - in each wave the two installers overlapped in time (each began before
#    the other ended, from the journal's own instants), as did the verifies;
#  - the run succeeded: every node verifies version 2, nothing of
#    clupdate's left, mail still on its owner, one outage (the owner's
#    install) and no acknowledged message lost.
source "$SRCDIR/tests/lib/lab.sh"
lab_start "t1090-$$" 5
state=$WORK/state
manifest=$SRCDIR/build/demo/sp2/sp2-waves.conf
owner=$(owner_of mail) || fail "mail is not running after lab up"
note "mail runs on $owner"

"$CLUPDATE" apply "$manifest" --cluster "lab:$LAB" --state-dir "$state" --yes \
	--output-as json >"$WORK/apply.json" 2>"$WORK/apply.err" ||
	{ cat "$WORK/apply.err" >&2; fail "apply failed"; }
run=$(jq -r .run.id "$WORK/apply.json")

# The plan it ran: the owner's wave, then two waves of two passive nodes.
sqlite3 "$state/journal.db" "SELECT plan_json FROM runs WHERE id = $run" >"$WORK/plan.json"
waves=$(jq -r '[.steps[] | select(.action == "install") | "\(.wave):\(.node)"] | join(" ")' "$WORK/plan.json")
note "installs by wave: $waves"
[[ $(jq '[.steps[] | select(.action == "install") | .wave] | group_by(.) | map(length) | sort' \
	"$WORK/plan.json" | jq -c .) == "[1,2,2]" ]] || fail "expected waves of 1, 2 and 2 installs: $waves"
jq -e '[.steps[] | select(.quorum_margin < 0)] | length == 0' "$WORK/plan.json" >/dev/null ||
	fail "a step below quorum"
jq -e '[.steps[] | select(.quorum_margin == 0)] | length > 0' "$WORK/plan.json" >/dev/null ||
	fail "no step uses the whole margin: waves of 2 of 5 nodes should"

# In each wave of two, the installers (and the verifies) overlapped in time.
for action in install verify; do
	overlaps=$(sqlite3 "$state/journal.db" "SELECT count(*) FROM step_attempts a
		JOIN step_attempts b ON a.run_id = b.run_id AND a.step < b.step
		WHERE a.run_id = $run AND a.action = '$action' AND b.action = '$action'
		AND a.state = 'done' AND b.state = 'done'
		AND b.started_mono_ms < a.ended_mono_ms AND a.started_mono_ms < b.ended_mono_ms")
	note "$action: $overlaps overlapping pairs"
	[[ $overlaps == 2 ]] || fail "expected 2 overlapping pairs of ${action}s (one per wave), got $overlaps: $(sqlite3 "$state/journal.db" "SELECT step, action, node, started_mono_ms, ended_mono_ms FROM step_attempts WHERE run_id = $run")"
done

# The whole update is done, in place, and no acknowledged message was lost.
assert_sp2_done "$WORK/apply.json" "$state" "$owner"
