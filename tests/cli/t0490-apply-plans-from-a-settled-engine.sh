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
# The run (its lock first) began once the 30 busy looks were over: each is
# at least a poll of 100 ms on the simulation's clock.
locked=$(sed -n 's/^t=\([0-9]*\) lock taken .*/\1/p' lab.ini.state.log | head -1)
[[ -n $locked ]] || fail "no lock in the simulation's log: $(cat lab.ini.state.log)"
((locked >= 3000)) || fail "the run began at t=$locked ms, before the engine settled (30 looks)"

# rollback --dry-run (a front end with no status area) says it too, and
# only that: no stray terminal sequences.
sed -i 's/^busy = 0$/busy = 30/' lab.ini.state
rc=0
"$CLUPDATE" rollback "$SRCDIR/demo/sp2/sp2.conf" --dry-run --cluster sim:lab.ini --state-dir state \
	>out.txt 2>err.txt || rc=$?
grep -q "the engine is busy .*before planning" err.txt || fail "rollback --dry-run did not say it waits: $(cat err.txt)"
! grep -q $'\e' err.txt || fail "rollback --dry-run wrote terminal sequences: $(cat -A err.txt)"

# Never settles: refused before planning, exit 4 (no cluster state to plan
# from), nothing changed.
rm -rf state lab.ini.state lab.ini.state.log
sim_lab
printf '\n[fault "election"]\nwhat = settle-never\n' >>lab.ini
expect_status 4 "$CLUPDATE" apply "$SRCDIR/demo/sp2/sp2.conf" --cluster sim:lab.ini --state-dir state \
	--yes >out.txt 2>err.txt
grep -q "before planning (nothing was changed): the cluster did not settle within 120 s" err.txt ||
	fail "the refusal does not say why: $(cat err.txt)"
[[ ! -s out.txt ]] || fail "output was printed: $(cat out.txt)"
! grep -Eq " (pin|drain|ban|prefer|lock) " lab.ini.state.log ||
	fail "the cluster was changed: $(cat lab.ini.state.log)"
exit 0
