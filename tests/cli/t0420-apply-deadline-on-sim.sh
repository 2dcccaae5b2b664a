# apply --deadline on a simulated cluster: a bad duration is a usage error
# (exit 2); a deadline that passes before the first step stops the run
# there (exit 11) with nothing changed and says so; one that does not pass
# lets the run finish.
source "$SRCDIR/tests/lib/cli.sh"

cp "$SRCDIR/demo/sim/lab.ini" lab.ini
sim=(--cluster sim:lab.ini --state-dir state --yes)
sp2=$SRCDIR/demo/sp2/sp2.conf

expect_status 2 "$CLUPDATE" apply "$sp2" "${sim[@]}" --deadline 10x 2>err.txt
grep -q "apply: bad --deadline '10x' (expected a duration from 1 ms to 24 h: 500ms, 90s, 10m, 2h)" err.txt ||
	fail "bad duration: $(cat err.txt)"

expect_status 11 "$CLUPDATE" apply "$sp2" "${sim[@]}" --deadline 1ms >/dev/null 2>err.txt
grep -q "the deadline passed: stopped before step 1, with 0 of 12 steps done" err.txt ||
	fail "deadline: $(cat err.txt)"
grep -q "GUARD BROKEN" lab.ini.state.log && fail "the guard broke"

"$CLUPDATE" apply "$sp2" "${sim[@]}" --deadline 2h --output-as json >out.json 2>err.txt ||
	fail "2h: $(cat err.txt)"
[[ $(jq -r '.run.state' out.json) == succeeded ]] || fail "state: $(jq -c .run out.json)"
exit 0
