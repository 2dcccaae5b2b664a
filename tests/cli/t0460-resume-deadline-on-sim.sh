# resume --deadline on a simulated cluster: sp2 in place stopped by n2's
# failed installer; a bad duration is a usage error (exit 2); a deadline
# that passes before the first step stops the resumed run there (exit 11),
# nothing changed, saying how many steps are left; one that passes in the
# middle (a change of the simulated cluster held up by strace's fault
# injection, longer than the deadline) stops it at the next step boundary,
# with some steps done and some left; then resume without a deadline
# finishes the update, and the guard never broke.
source "$SRCDIR/tests/lib/cli.sh"

sim_lab n2-fails install-fails n2
sp2=$SRCDIR/demo/sp2/sp2.conf
expect_status 9 "$CLUPDATE" apply "$sp2" --cluster sim:lab.ini --state-dir state --yes \
	>/dev/null 2>err.txt

expect_status 2 "$CLUPDATE" resume --state-dir state --yes --deadline 10x 2>err.txt
grep -q "resume: bad --deadline '10x' (expected a duration from 1 ms to 24 h: 500ms, 90s, 10m, 2h)" err.txt ||
	fail "bad duration: $(cat err.txt)"

cp lab.ini.state before.state
expect_status 11 "$CLUPDATE" resume --state-dir state --yes --deadline 1ms >out.txt 2>err.txt
grep -q "the deadline passed: stopped before step 1, with 0 of 7 steps done, 7 left ('clupdate resume' continues)" err.txt ||
	fail "deadline before step 1: $(cat err.txt)"
grep -qxF "  - 'n2' is in standby (drained) (left by run 1, which did not finish): drained at step 5; it stays out of service until it is fixed; the next successful run of this update puts it back" err.txt ||
	fail "what is left: $(cat err.txt)"
# (the lock came and went, and the virtual clock moved: the rest is the same)
unlocked() { grep -v '^\[lock\]\|^token\|^host\|^pid\|^run\|^since\|^beat\|^now-ms' "$1"; }
unlocked before.state >a.txt
unlocked lab.ini.state >b.txt
diff -u a.txt b.txt >&2 || fail "a run stopped before its first step changed the cluster"

# The 3rd change of the simulated cluster (one rename of its state file
# each) takes 8 s, the deadline is 5 s: the run stops at the next boundary.
# (The first two changes must come within the deadline: under ASan on a
# loaded machine 2 s may not be enough, and the run would stop before step 1.)
# (LeakSanitizer cannot run under ptrace.)
got=0
ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0 strace -f -qq -o /dev/null -e trace=rename -e inject=rename:delay_enter=8000000:when=3 \
	"$CLUPDATE" resume --state-dir state --yes --deadline 5s --output-as json \
	>out.json 2>err.txt || got=$?
((got == 11)) || fail "a deadline in the middle: exit $got: $(cat err.txt)"
msg=$(jq -r '.run.message' out.json)
[[ $msg =~ ^the\ deadline\ passed:\ stopped\ before\ step\ ([0-9]+),\ with\ ([0-9]+)\ of\ 7\ steps\ done,\ ([0-9]+)\ left ]] ||
	fail "message: $msg"
((BASH_REMATCH[2] >= 1 && BASH_REMATCH[2] < 7 && BASH_REMATCH[1] == BASH_REMATCH[2] + 1 &&
	BASH_REMATCH[3] == 7 - BASH_REMATCH[2])) || fail "not stopped in the middle: $msg"
[[ $(jq '[.run.steps[] | select(.state == "done")] | length' out.json) == "${BASH_REMATCH[2]}" ]] ||
	fail "steps: $(jq -c .run.steps out.json)"
[[ $(jq '[.run.steps[] | select(.state == "running")] | length' out.json) == 0 ]] ||
	fail "a step was cut in the middle: $(jq -c .run.steps out.json)"

# Without a deadline, resume finishes (from the run the deadline stopped).
"$CLUPDATE" resume --state-dir state --yes >out.txt 2>err.txt || fail "resume: $(cat err.txt)"
grep -q "^Run 3 did not finish" out.txt || fail "resumed: $(head -3 out.txt)"
for n in n1 n2 n3; do
	grep -A6 "^\[node \"$n\"\]" lab.ini.state | grep -q "version = 2" || fail "$n: $(cat lab.ini.state)"
done
grep -q "GUARD BROKEN" lab.ini.state.log && fail "the guard broke: $(grep GUARD lab.ini.state.log)"
exit 0
