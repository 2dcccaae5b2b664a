# A bad manifest gives one clear error line with file:line, exit status 3,
# and nothing else happens: nothing on stdout, in text and in JSON alike
# (JSON carries the error in its envelope instead).
source "$SRCDIR/tests/lib/cli.sh"
m=$FIXTURES/cli/bad-key.conf

expect_status 3 "$CLUPDATE" plan "$m" --cluster "static:$FIXTURES/cli/2node.ini" >out.txt 2>err.txt
[[ ! -s out.txt ]] || fail "stdout is not empty: $(cat out.txt)"
[[ $(wc -l <err.txt) == 1 ]] || fail "expected one error line, got: $(cat err.txt)"
grep -q "^clupdate: $m:5: \[update\] unknown key 'stratgy', did you mean 'strategy'?" err.txt ||
	fail "message: $(cat err.txt)"

expect_status 3 "$CLUPDATE" plan "$m" --cluster "static:$FIXTURES/cli/2node.ini" \
	--output-as json >out.json 2>err.txt
[[ $(jq -r .status.code out.json) == 3 ]] || fail "json status.code"
jq -r .status.message out.json | grep -q "$m:5:" || fail "json status.message"
[[ $(jq -r '.plan // "none"' out.json) == none ]] || fail "json carries a plan"

expect_status 7 "$CLUPDATE" plan /nonexistent/sp.conf --cluster "static:$FIXTURES/cli/2node.ini" 2>err.txt
grep -q "/nonexistent/sp.conf" err.txt || fail "missing file message: $(cat err.txt)"
