# Same cluster, rolling: A is drained, installed, verified and undrained
# before mail moves to A; B is banned for mail until it is verified; one
# predicted interruption. auto picks rolling here (3 s switchover < 8 s
# installer) and says why.
source "$SRCDIR/tests/lib/cli.sh"
cluster=static:$FIXTURES/cli/2node.ini

"$CLUPDATE" plan "$FIXTURES/cli/sp3.conf" --cluster "$cluster" --strategy rolling \
	--output-as json >rolling.json || fail "plan rolling failed"
golden plan-2node-rolling.json rolling.json
steps=$(jq -r '[.plan.steps[] | .action + " " + (.group // .node) + (if .group and .node then "@" + .node else "" end)] | join(", ")' rolling.json)
[[ $steps == "drain A, install A, verify A, undrain A, ban mail@B, move mail@A, install B, verify B, clear mail" ]] ||
	fail "steps: $steps"
[[ $(jq -c '.plan.guards[0] | [.node, ."ban-step", .until]' rolling.json) == '["B",5,8]' ]] ||
	fail "B is not banned until verified: $(jq -c .plan.guards rolling.json)"
[[ $(jq -r '.plan.interruptions.mail.count' rolling.json) == 1 ]] || fail "interruptions"

"$CLUPDATE" plan "$FIXTURES/cli/sp3.conf" --cluster "$cluster" >auto.txt || fail "plan auto failed"
golden plan-2node-auto.txt auto.txt
grep -q "auto chose rolling" auto.txt || fail "auto did not explain its choice"
