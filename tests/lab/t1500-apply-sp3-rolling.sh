# Issue 11, "rolling on the lab": on a real 3-node lab, under the SMTP
# probe's load,
#  - `plan` with strategy auto picks in place for sp2 (it migrates the
#    store and cannot take over old data) and rolling for sp3 (a switchover
#    is predicted shorter than its install on the owner), and says why, in
#    its text and in its JSON (`choice`);
#  - `lab reset --version 2` brings the lab to version 2 (maild 3 needs the
#    store at format 2);
#  - sp3 `--strategy rolling`: every node at 3, exactly one outage for mail,
#    attributed to the move step, and no failback: mail ends, once the
#    cluster is idle, on the node it was moved to; 0 acknowledged lost.
source "$SRCDIR/tests/lib/lab.sh"
lab_start "t1500-$$" 3
state=$WORK/state
sp2=$SRCDIR/build/demo/sp2/sp2.conf
sp3=$SRCDIR/build/demo/sp3/sp3.conf

# assert_auto MANIFEST STRATEGY WHY: plan with strategy auto on the lab
# picks STRATEGY, and its text and JSON give the reason WHY (a prefix).
assert_auto() {
	local manifest=$1 strategy=$2 why=$3
	"$CLUPDATE" plan "$manifest" --strategy auto --cluster "lab:$LAB" >"$WORK/plan.txt" ||
		fail "plan $manifest failed"
	grep -q "^Plan: .*, strategy $strategy\$" "$WORK/plan.txt" ||
		fail "auto did not pick $strategy for $manifest: $(head -2 "$WORK/plan.txt")"
	grep -qF "($why" "$WORK/plan.txt" || fail "plan's text does not say why: $(head -2 "$WORK/plan.txt")"
	"$CLUPDATE" plan "$manifest" --strategy auto --cluster "lab:$LAB" --output-as json >"$WORK/plan.json" ||
		fail "plan --output-as json $manifest failed"
	[[ $(jq -r .plan.strategy "$WORK/plan.json") == "$strategy" ]] || fail "JSON plan strategy"
	[[ $(jq -r .plan.choice "$WORK/plan.json") == "$why"* ]] ||
		fail "plan's JSON does not say why: $(jq -c .plan.choice "$WORK/plan.json")"
	note "$(basename "$manifest"): $(jq -r .plan.choice "$WORK/plan.json")"
}

# --- sp2: auto is in place (planned on the lab at version 1) ----------------
assert_auto "$sp2" in-place "auto chose in-place: rolling is not allowed (data-migration = yes, takeover-compatible = no)"

# --- sp3: auto is rolling; rolling runs with one switchover ----------------
# (from version 2: t1000 runs sp2 itself; here reset puts version 2 and a
# fresh store on every node, mail on n1)
"$CLUPDATE" lab reset --name "$LAB" --version 2 >"$WORK/reset.log" 2>&1 ||
	{ cat "$WORK/reset.log" >&2; fail "lab reset failed"; }
owner=$(owner_of mail) || fail "mail is not running after lab reset"
assert_auto "$sp3" rolling "auto chose rolling: predicted interruption"
target=$(jq -r '.plan.steps[] | select(.action == "move") | .node' "$WORK/plan.json")
[[ -n $target && $target != "$owner" ]] || fail "the sp3 plan moves mail to '$target'"
note "mail runs on $owner; sp3 rolling moves it to $target"

"$CLUPDATE" apply "$sp3" --strategy rolling --cluster "lab:$LAB" --state-dir "$state" --yes \
	--output-as json >"$WORK/sp3.json" 2>"$WORK/sp3.err" || { cat "$WORK/sp3.err" >&2; fail "sp3 failed"; }
[[ $(jq -r .run.state "$WORK/sp3.json") == succeeded ]] || fail "sp3 run state: $(jq -c .run "$WORK/sp3.json")"
[[ $(jq -r .run.strategy "$WORK/sp3.json") == rolling ]] || fail "sp3 did not run rolling"
run=$(jq -r .run.id "$WORK/sp3.json")
for n in n1 n2 n3; do
	[[ $(on "$n" /opt/clupdate-mail/bin/maild --version) == 3 ]] || fail "$n: maild is not 3"
done
grep -q 'clupdate-' <<<"$(on n1 cibadmin --query --scope constraints)" &&
	fail "a clupdate constraint is left: $(on n1 cibadmin --query --scope constraints)"

# No failback: once the engine has nothing left to do, mail is still where
# the move put it (stickiness, and no constraint of clupdate's pulls it back).
on n1 crm_resource --wait --timeout=120 >/dev/null 2>&1 || fail "the cluster did not settle"
[[ $(owner_of mail) == "$target" ]] || fail "mail runs on $(owner_of mail), not on $target where it was moved"

"$CLUPDATE" report "$run" --state-dir "$state" --output-as json >"$WORK/report.json"
[[ $(jq '.report.outages | length' "$WORK/report.json") == 1 ]] ||
	fail "expected exactly one outage window: $(jq -c .report.outages "$WORK/report.json")"
[[ $(jq -r '.report.outages[0] | "\(.group) \(.step_action) \(.step_node)"' "$WORK/report.json") == "mail move $target" ]] ||
	fail "the outage is not attributed to the move to $target: $(jq -c .report.outages[0] "$WORK/report.json")"
[[ $(jq '.report.acknowledged' "$WORK/report.json") -gt 0 ]] || fail "no message acknowledged"
[[ $(jq '.report.lost' "$WORK/report.json") == 0 ]] || fail "lost messages (or not checked)"
note "sp3 rolling: one switchover of $(jq '.report.outages[0].duration_ms' "$WORK/report.json") ms," \
	"$(jq '.report.acknowledged' "$WORK/report.json") messages acknowledged, 0 lost"
