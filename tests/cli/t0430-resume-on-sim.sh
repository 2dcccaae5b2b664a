# resume on a simulated cluster (--cluster sim:FILE): nothing to resume in
# an empty journal (exit 2); sp2 in place stopped by n2's failed installer
# is refused while its manifest file differs from the journalled text (exit
# 3), then, restored, resumed to success, with a summary of what run 1 did
# and what is done again (n1 not reinstalled); then nothing to resume
# (exit 2). A run killed with SIGKILL at a fixed system call (strace's
# fault injection: a crash, the lock left behind) is refused while its lock
# looks held on another host (exit 10), then resumed to success on the
# run's own cluster, as JSON that validates; the guard never broke.
source "$SRCDIR/tests/lib/cli.sh"

sim_lab n2-fails install-fails n2
# The manifest in a file of the test's own, to change it; the simulation
# runs no command, so its directory holds nothing else.
cp "$SRCDIR/demo/sp2/sp2.conf" sp2.conf
sim=(--cluster sim:lab.ini --state-dir state)

expect_status 2 "$CLUPDATE" resume --state-dir state --yes 2>err.txt
grep -q "the journal has no run: nothing to resume" err.txt || fail "empty: $(cat err.txt)"

# ---- a failed installer ----------------------------------------------------
expect_status 9 "$CLUPDATE" apply sp2.conf "${sim[@]}" --yes >/dev/null 2>err.txt

cp sp2.conf sp2.conf.orig
echo "# edited after run 1" >>sp2.conf
expect_status 3 "$CLUPDATE" resume --state-dir state --yes >out.txt 2>err.txt
grep -q "manifest 'sp2.conf' changed since run 1 began" err.txt || fail "changed: $(cat err.txt)"
[[ ! -s out.txt ]] || fail "a refused resume showed: $(cat out.txt)"
mv sp2.conf.orig sp2.conf

# Without --cluster: the run's own (sim:lab.ini), from the journal.
"$CLUPDATE" resume --state-dir state --yes >out.txt 2>err.txt ||
	fail "resume after the failure: $(cat err.txt)"
for line in "Run 1 did not finish; as the journal has it:" \
	"  state     failed: step 6 (install on n2) failed: 'installer' exited with status 1" \
	"  - sim-drain n2 standby = on (was absent; step 5)" \
	"Resuming run 1 from the live state of sim:lab.ini: a new run of 7 steps." \
	"  n1: already at version 2: not reinstalled" \
	"      run 1: pin, install, verify, unpin done" \
	"  n2: at version 1, not 2: done again: install, verify, undrain (steps 1-3)" \
	"      run 1: drain done; install failed (step 6)" \
	"  n3: not reached by run 1: drain, install, verify, undrain (steps 4-7)" \
	"Report of run 2: mail-sp2, version 2, in-place, on sim:lab.ini: succeeded"; do
	grep -qxF -- "$line" out.txt || fail "no line '$line' in: $(cat out.txt)"
done
grep -q "applying mail-sp2 2 to sim:lab.ini (in-place, 7 steps)" err.txt ||
	fail "progress: $(cat err.txt)"
[[ $(grep -c "install on 'n1': version" lab.ini.state.log) == 1 ]] ||
	fail "n1 reinstalled: $(cat lab.ini.state.log)"

expect_status 2 "$CLUPDATE" resume --state-dir state --yes 2>err.txt
grep -q "nothing to resume: the last run, 2 (mail-sp2 2), succeeded" err.txt ||
	fail "after success: $(cat err.txt)"
expect_status 2 "$CLUPDATE" resume 1 --state-dir state --yes 2>err.txt
grep -q "nothing to resume: run 1 (mail-sp2 2) was completed by run 2" err.txt ||
	fail "run 1 after success: $(cat err.txt)"
grep -q "GUARD BROKEN" lab.ini.state.log && fail "the guard broke: $(grep GUARD lab.ini.state.log)"

# ---- a crash ----------------------------------------------------------------
# Every change to the simulated cluster is one rename of its state file
# (n1's recorded version after its verify included): the 12th never
# happens, the process is killed on entering it (run 1 is then at n2's
# install, the lock held by a process that is gone).
mkdir crash && cp "$SRCDIR/demo/sim/lab.ini" crash/lab.ini
crash=(--cluster sim:crash/lab.ini --state-dir crash/state)
got=0
strace -qq -o /dev/null -e trace=rename -e inject=rename:signal=KILL:when=12 \
	"$CLUPDATE" apply sp2.conf "${crash[@]}" --yes >/dev/null 2>err.txt || got=$?
((got == 128 + 9)) || fail "not killed ($got): $(cat err.txt)"
"$CLUPDATE" status --state-dir crash/state --output-as json >status.json || fail status
[[ $(jq -r '.run.state' status.json) == running ]] || fail "crash: $(jq -c .run status.json)"
[[ $(jq -r '[.run.steps[] | select(.state == "running") | .action + " " + .node] | join(",")' \
	status.json) == "install n2" ]] || fail "crash point: $(jq -c .run.steps status.json)"
grep -q "^\[lock\]" crash/lab.ini.state || fail "no lock left: $(cat crash/lab.ini.state)"

# While its lock looks held on another host, the run may still be at work.
cp crash/lab.ini.state lab.state.saved
sed -i 's/^host = .*/host = elsewhere/' crash/lab.ini.state
expect_status 10 "$CLUPDATE" resume --state-dir crash/state --yes >out.txt 2>err.txt
grep -q "run 1 cannot be resumed now: the cluster is locked by run 1" err.txt ||
	fail "locked: $(cat err.txt)"
grep -q "did not finish" out.txt && fail "a locked run was shown: $(cat out.txt)"
cp lab.state.saved crash/lab.ini.state

"$CLUPDATE" resume --state-dir crash/state --yes --output-as json >out.json 2>err.txt ||
	fail "resume after the crash: $(cat err.txt)"
[[ $(jq -r '.request' out.json) == resume ]] || fail "request: $(jq -c . out.json)"
[[ $(jq -r '.run.state' out.json) == succeeded ]] || fail "state: $(jq -c .run out.json)"
[[ $(jq -r '.run.cluster' out.json) == sim:crash/lab.ini ]] || fail "cluster: $(jq -c .run out.json)"
[[ $(jq -r '.report.state' out.json) == succeeded ]] || fail "report: $(jq -c .report out.json)"
# The summaries went to stderr: stdout is one document.
grep -qxF "      run 1: drain done; install interrupted (step 6)" err.txt || fail "summary: $(cat err.txt)"
grep -qxF "  n1: already at version 2: not reinstalled" err.txt || fail "n1: $(cat err.txt)"
/usr/bin/python3 - "$SRCDIR/doc/clupdate-output.schema.json" out.json <<'PY' || fail "resume's JSON does not match the schema"
import json, sys
import jsonschema
jsonschema.Draft202012Validator(json.load(open(sys.argv[1]))).validate(json.load(open(sys.argv[2])))
PY
"$CLUPDATE" history --state-dir crash/state --output-as json >history.json || fail history
[[ $(jq -r '[.runs[] | .state] | join(",")' history.json) == succeeded,failed ]] ||
	fail "history: $(jq -c .runs history.json)"
for n in n1 n2 n3; do
	grep -A6 "^\[node \"$n\"\]" crash/lab.ini.state | grep -q "version = 2" ||
		fail "$n: $(cat crash/lab.ini.state)"
done
grep -q "^\[lock\]" crash/lab.ini.state && fail "lock left: $(cat crash/lab.ini.state)"
grep -q "GUARD BROKEN" crash/lab.ini.state.log && fail "the guard broke"
exit 0
