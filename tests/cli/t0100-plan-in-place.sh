# The acceptance example: two nodes, 'mail' on B, sp2 in place. The plan is
# pin mail@B, install B, verify B, unpin, drain A, install A, verify A,
# undrain A, and it states that mail may not run on A from B's install
# until A is verified. Text and JSON are compared with golden files.
source "$SRCDIR/tests/lib/cli.sh"
cluster=static:$FIXTURES/cli/2node.ini

"$CLUPDATE" plan "$FIXTURES/cli/sp2.conf" --cluster "$cluster" >plan.txt 2>err.txt ||
	fail "plan failed: $(cat err.txt)"
[[ ! -s err.txt ]] || fail "plan wrote to stderr: $(cat err.txt)"
golden plan-2node-in-place.txt plan.txt
grep -q "'mail' may not run on 'A' from step 2 (install 'B') until step 7 (verify 'A')" plan.txt ||
	fail "the plan does not state the guard"

"$CLUPDATE" plan "$FIXTURES/cli/sp2.conf" --cluster "$cluster" --output-as json >plan.json ||
	fail "plan --output-as json failed"
golden plan-2node-in-place.json plan.json
steps=$(jq -r '[.plan.steps[] | .action + " " + (.group // .node) + (if .group and .node then "@" + .node else "" end)] | join(", ")' plan.json)
[[ $steps == "pin mail@B, install B, verify B, unpin mail@B, drain A, install A, verify A, undrain A" ]] ||
	fail "steps: $steps"
[[ $(jq -r '."api-version"' plan.json) == 1.0 ]] || fail "api-version"
[[ $(jq -r '.status.code' plan.json) == 0 ]] || fail "status.code"
[[ $(jq -r '.plan.interruptions.mail.count' plan.json) == 1 ]] || fail "interruptions"
[[ $(jq -c '.plan.guards[0] | [.group, .node, .from, .until]' plan.json) == '["mail","A",2,7]' ]] ||
	fail "guard: $(jq -c '.plan.guards' plan.json)"
