# apply on a simulated cluster (--cluster sim:FILE), as a user who is not
# root and with no engine: the demo's sp2 in place, then sp3 rolling, end
# to end, each with its report; the simulation's log shows one switchover
# for the rolling run (the ban and the move in one update) and the guard
# never broken; sp3 again finds nothing to do, and sp2 is refused.
source "$SRCDIR/tests/lib/cli.sh"

mkdir sim && cp "$SRCDIR/demo/sim/lab.ini" sim/
chown -R nobody: sim
chmod 755 .
as_user() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }

as_user "$CLUPDATE" apply "$SRCDIR/demo/sp2/sp2.conf" --cluster sim:sim/lab.ini \
	--state-dir sim/state --yes >out.txt 2>err.txt || fail "sp2: $(cat err.txt)"
grep -q "Report of run 1: mail-sp2, version 2, in-place, on sim:sim/lab.ini: succeeded" out.txt ||
	fail "sp2 report: $(cat out.txt)"
grep -q "probes not run (a simulated cluster has no service to measure)" err.txt ||
	fail "sp2: probes: $(cat err.txt)"
[[ $(stat -c %U sim/state/journal.db) == nobody ]] || fail "the journal is not the user's"

as_user "$CLUPDATE" apply "$SRCDIR/demo/sp3/sp3.conf" --strategy rolling \
	--cluster sim:sim/lab.ini --state-dir sim/state --yes --output-as json >out.json \
	2>err.txt || fail "sp3: $(cat err.txt)"
[[ $(jq -r '.run.state' out.json) == succeeded ]] || fail "sp3 state: $(jq -c .run out.json)"
[[ $(jq -r '.run.strategy' out.json) == rolling ]] || fail "sp3 strategy"
[[ $(jq '[.run.steps[] | select(.state == "done")] | length' out.json) == 13 ]] ||
	fail "sp3 steps: $(jq -c '[.run.steps[] | [.action, .node, .state]]' out.json)"

log=sim/lab.ini.state.log
[[ $(grep -c "engine: 'mail' moves" "$log") == 1 ]] || fail "switchovers: $(cat "$log")"
grep -q "GUARD BROKEN" "$log" && fail "the guard broke: $(grep GUARD "$log")"
for n in n1 n2 n3; do
	grep -q "verify on '$n': version 3" "$log" || fail "$n not at 3: $(cat "$log")"
done

# Every node is at version 3: sp3 again has nothing to do, sp2 is a downgrade.
as_user "$CLUPDATE" apply "$SRCDIR/demo/sp3/sp3.conf" --cluster sim:sim/lab.ini \
	--state-dir sim/state --yes --output-as json >out.json 2>err.txt ||
	fail "sp3 again: $(cat err.txt)"
[[ $(jq '.run.steps | length' out.json) == 0 ]] || fail "sp3 again did: $(jq -c .run.steps out.json)"
expect_status 5 as_user "$CLUPDATE" apply "$SRCDIR/demo/sp2/sp2.conf" \
	--cluster sim:sim/lab.ini --state-dir sim/state --yes 2>err.txt
grep -q "does not downgrade" err.txt || fail "sp2 after sp3: $(cat err.txt)"
exit 0
