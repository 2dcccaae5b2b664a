# XML output carries the same plan in Pacemaker's style and validates
# against the schema in doc/.
source "$SRCDIR/tests/lib/cli.sh"

"$CLUPDATE" plan "$FIXTURES/cli/sp2.conf" --cluster "static:$FIXTURES/cli/2node.ini" \
	--output-as xml >plan.xml || fail "plan --output-as xml failed"
golden plan-2node-in-place.xml plan.xml
xmllint --noout --relaxng "$SRCDIR/doc/clupdate-output.rng" plan.xml 2>err.txt ||
	fail "not valid against doc/clupdate-output.rng: $(cat err.txt)"
[[ $(xmllint --xpath 'count(//plan/steps/step)' plan.xml) == 8 ]] || fail "step count"
[[ $(xmllint --xpath 'string(//status/@code)' plan.xml) == 0 ]] || fail "status code"
