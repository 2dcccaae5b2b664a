# apply plans from a settled engine (sim). A busy engine (a node joining,
# an election, a transition) shows a state about to change; on the lab a
# joining node's partition read as without quorum, and apply refused to
# plan. Now apply says it waits, waits, and then plans and runs. An
# engine that never settles is refused before planning, with nothing
# changed (no run in the journal, no change in the simulation's log).
source "$SRCDIR/tests/lib/cli.sh"

# Busy for 30 more looks when apply starts (a state file as a running
# simulation writes it: the cluster, and where its engine is).
sim_lab
{ cat lab.ini; printf '\n[state]\nbusy = 30\n'; } >lab.ini.state
: >lab.ini.state.log
"$CLUPDATE" apply "$SRCDIR/demo/sp2/sp2.conf" --cluster sim:lab.ini --state-dir state --yes \
	--output-as json >out.json 2>err.txt || fail "apply on a busy engine: $(cat err.txt)"
grep -q "the engine is busy .*waiting up to 120 s for it to settle before planning" err.txt ||
	fail "apply did not say it waits for the engine: $(cat err.txt)"
[[ $(jq -r .run.state out.json) == succeeded ]] || fail "state: $(jq -c .run out.json)"
grep -q '^busy = 0$' lab.ini.state || fail "apply planned before the engine settled: $(grep busy lab.ini.state)"

# Never settles: refused before planning, exit 4 (no cluster state to plan
# from), nothing changed.
rm -rf state lab.ini.state lab.ini.state.log
sim_lab
printf '\n[fault "election"]\nwhat = settle-never\n' >>lab.ini
expect_status 4 "$CLUPDATE" apply "$SRCDIR/demo/sp2/sp2.conf" --cluster sim:lab.ini --state-dir state \
	--yes >out.txt 2>err.txt
grep -q "before planning (nothing was changed): the cluster did not settle within 120 s" err.txt ||
	fail "the refusal does not say why: $(cat err.txt)"
[[ ! -s out.txt ]] || fail "a plan was printed: $(cat out.txt)"
! grep -Eq " (pin|drain|ban|prefer|lock) " lab.ini.state.log ||
	fail "the cluster was changed: $(cat lab.ini.state.log)"
exit 0
