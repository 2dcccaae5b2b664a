# status and history on a new journal: they say there is nothing yet and
# create the journal private to root (dir 0700, file 0600).
source "$SRCDIR/tests/lib/cli.sh"

"$CLUPDATE" status --state-dir state >out.txt || fail "status failed"
grep -q "No runs yet" out.txt || fail "status: $(cat out.txt)"
"$CLUPDATE" history --state-dir state >out.txt || fail "history failed"
grep -q "No runs yet" out.txt || fail "history: $(cat out.txt)"
"$CLUPDATE" history --state-dir state --output-as json >out.json || fail "history json"
[[ $(jq -c .runs out.json) == "[]" ]] || fail "history json runs: $(cat out.json)"
[[ $(stat -c %a state) == 700 ]] || fail "state dir mode $(stat -c %a state)"
[[ $(stat -c %a state/journal.db) == 600 ]] || fail "journal mode $(stat -c %a state/journal.db)"
expect_status 2 "$CLUPDATE" show 42x --state-dir state 2>err.txt
expect_status 8 "$CLUPDATE" show 42 --state-dir state 2>err.txt
grep -q "no run 42" err.txt || fail "show missing run: $(cat err.txt)"
