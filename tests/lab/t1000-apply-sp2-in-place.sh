# Issue 4 and 5 acceptance, on a real 3-node lab: the demo's sp2 (it
# migrates the store) applied in place with an SMTP probe every 50 ms.
#  - every node verifies version 2; clupdate's pins, bans, standby and lock
#    are gone; the journal lists every step with its times;
#  - the group never ran on a node older than the store: checked on every
#    state snapshot the journal took before and after each step;
#  - exactly one outage window for 'mail', attributed to the install step
#    on the owner, overlapping the installer's own logged stop-to-start
#    window (how closely the two durations agree is timing, noted here and
#    measured in bench/outage, not asserted); no acknowledged message lost;
#  - the HTML report of the run renders in Chromium with both lanes visible
#    (the steps' bars and the outage in red);
#  - status and show tell the same story;
#  - started while the engine is busy (a resource starting, as after a node
#    joined), apply says it waits, and plans once the engine has settled.
source "$SRCDIR/tests/lib/lab.sh"
lab_start "t1000-$$" 3
state=$WORK/state
manifest=$SRCDIR/build/demo/sp2/sp2.conf
owner=$(owner_of mail) || fail "mail is not running after lab up"
note "mail runs on $owner"

# The engine busy for a few seconds: a resource whose every operation takes
# 4 s (Pacemaker's Dummy), started now; apply begins once the coordinator
# is seen at work.
on n1 cibadmin --create --scope resources --xml-text '<primitive id="busy" class="ocf"
	provider="pacemaker" type="Dummy"><instance_attributes id="busy-params"><nvpair
	id="busy-op_sleep" name="op_sleep" value="4"/></instance_attributes></primitive>' ||
	fail "cannot add the busy resource"
engine_busy() { local s; s=$(dc_state) && [[ -n $s && $s != S_IDLE ]]; }
engine_idle() { [[ $(dc_state) == S_IDLE ]]; }
wait_until 10 "the engine to act on the busy resource" engine_busy

"$CLUPDATE" apply "$manifest" --cluster "lab:$LAB" --state-dir "$state" --yes \
	--output-as json >"$WORK/apply.json" 2>"$WORK/apply.err" ||
	{ cat "$WORK/apply.err" >&2; fail "apply failed"; }
grep -q "the engine is busy .*waiting up to [0-9]* s for it to settle before planning" "$WORK/apply.err" ||
	fail "apply did not wait for the busy engine: $(cat "$WORK/apply.err")"
on n1 cibadmin --delete --xml-text '<primitive id="busy"/>' || fail "cannot remove the busy resource"
wait_until 30 "the busy resource to stop" engine_idle
run=$(jq -r .run.id "$WORK/apply.json")
[[ $(jq -r .run.state "$WORK/apply.json") == succeeded ]] || fail "run state"

# Every node verifies version 2, with the binary and the attribute;
# nothing of clupdate's is left in the cluster.
assert_at_version 2
assert_nothing_left
[[ $(owner_of mail) == "$owner" ]] || fail "mail moved from $owner (in place must not move it)"

# The journal lists every step with its times.
[[ $(jq '.run.steps | length' "$WORK/apply.json") == 12 ]] || fail "expected 12 step records"
jq -e '[.run.steps[] | select(.state != "done" or .started == null or .ended == null
	or .duration_ms == null)] | length == 0' "$WORK/apply.json" >/dev/null ||
	fail "a step lacks its times or is not done"
# (the recorded versions stay: mail-version is each node's installed version)
jq -e '[.run.changes[] | select((.state == "applied" or .state == "intended") and
	.name != "mail-version")] | length == 0' \
	"$WORK/apply.json" >/dev/null || fail "a change was not restored"

# The group never ran on a node older than the store: the install on the
# owner (step 2) migrated it; from then on, every snapshot's owner is at 2.
sqlite3 "$state/journal.db" "SELECT step, phase, cluster_json FROM snapshots
	WHERE run_id = $run ORDER BY id" >"$WORK/snapshots"
[[ -s $WORK/snapshots ]] || fail "the journal has no state snapshots"
while IFS='|' read -r step phase json; do
	((step > 2)) || [[ $step == 2 && $phase == after ]] || continue
	owner_version=$(jq -r '. as $c | $c.groups[] | select(.name == "mail") as $g |
		$c.nodes[] | select(.name == $g.owner) | .version' <<<"$json")
	[[ -z $owner_version || $owner_version == 2 ]] ||
		fail "snapshot $phase step $step: mail runs on a node at version $owner_version"
done <"$WORK/snapshots"

# What users saw: one window, caused by the owner's install.
"$CLUPDATE" report "$run" --state-dir "$state" --output-as json >"$WORK/report.json"
jq . "$WORK/report.json" >&2
[[ $(jq '.report.outages | length' "$WORK/report.json") == 1 ]] ||
	fail "expected exactly one outage window"
[[ $(jq -r '.report.outages[0] | "\(.group) \(.step_action) \(.step_node)"' "$WORK/report.json") == "mail install $owner" ]] ||
	fail "the outage is not attributed to the install on $owner"
outage=$(jq -r '.report.outages[0] | "\(.start_ms) \(.end_ms)"' "$WORK/report.json")
service=$(jq -r '.report.service_windows[0] | "\(.stopped_ms) \(.started_ms)"' "$WORK/report.json")
read -r out_start out_end <<<"$outage"
read -r svc_stop svc_start <<<"$service"
[[ $svc_start != null ]] || fail "the installer did not log its stop and start"
((out_start <= svc_start && svc_stop <= out_end)) ||
	fail "the outage [$out_start, $out_end] ms does not overlap the installer's window [$svc_stop, $svc_start] ms"
note "outage $((out_end - out_start)) ms, installer's window $((svc_start - svc_stop)) ms"
[[ $(jq '.report.acknowledged' "$WORK/report.json") -gt 0 ]] || fail "no message acknowledged"
[[ $(jq '.report.lost' "$WORK/report.json") == 0 ]] || fail "lost messages (or not checked)"

# The HTML report of this real run renders, with both lanes visible.
source "$SRCDIR/tests/lib/render-html.sh"
"$CLUPDATE" report "$run" --state-dir "$state" --output-as html >"$WORK/report.html"
render_html "$WORK/report.html" "$WORK/report.png" 1280,900
read -r -d '' red blue nonwhite colours < <(png_colours "$WORK/report.png" '#d62728' '#2f6fd0') || true
((nonwhite > 50000 && colours > 50)) || fail "the report looks blank ($nonwhite non-white pixels)"
# A 350 ms window of a 12 s run is about 28 x 22 px; the install bars more.
((red > 100)) || fail "no outage drawn in the probe lane ($red pixels of #d62728)"
((blue > 100)) || fail "no install bars drawn in the node lanes ($blue pixels of #2f6fd0)"
note "report rendered: $red outage pixels, $blue install pixels"

# status shows the run.
"$CLUPDATE" status --state-dir "$state" >"$WORK/status.txt"
grep -q "state     succeeded" "$WORK/status.txt" || fail "status: $(cat "$WORK/status.txt")"
