# plan on real crm_mon captures of a lab cluster (tests/fixtures/crm_mon):
# the runbook for 3 nodes, rolling on 2, and the refusals a real cluster's
# state brings (an offline node, a drained node, a downgrade, a cluster
# whose data is already newer than a node that could host it).
source "$SRCDIR/tests/lib/cli.sh"
caps=$FIXTURES/crm_mon
sp2=$SRCDIR/demo/sp2/sp2.conf
sp3=$SRCDIR/demo/sp3/sp3.conf

"$CLUPDATE" plan "$sp2" --cluster "xml:$caps/3node-mail-on-n1.xml" >in-place.txt ||
	fail "plan on 3node-mail-on-n1 failed"
golden plan-capture-3node-in-place.txt in-place.txt

"$CLUPDATE" plan "$sp3" --strategy rolling --cluster "xml:$caps/2node-mail-on-n2.xml" \
	--output-as json >rolling.json || fail "rolling plan on 2node-mail-on-n2 failed"
steps=$(jq -r '[.plan.steps[] | .action + " " + (.group // .node) + (if .group and .node then "@" + .node else "" end)] | join(", ")' rolling.json)
[[ $steps == "drain n1, install n1, verify n1, undrain n1, ban mail@n2, move mail@n1, install n2, verify n2, clear mail" ]] ||
	fail "rolling steps: $steps"

refused() {
	local capture=$1 want=$2
	expect_status 5 "$CLUPDATE" plan "$sp2" --cluster "xml:$caps/$capture.xml" 2>err.txt
	grep -qF "$want" err.txt || fail "$capture: $(cat err.txt)"
}
refused 3node-offline-n3-mail-on-n1 "node 'n3' is offline: it cannot be updated"
refused 3node-standby-n1 "availability: 2 nodes would be out of service, the manifest allows 1 (max-unavailable)"
refused 3node-mixed-versions "node 'n1' has version 3, newer than mail-sp2's 2: clupdate does not downgrade"
refused 5node-mixed-versions "version guard: 'mail' could fail over to 'n3' (version 1), older than its data (version 2)"
