# JSON and XML output validate against doc/clupdate-output.schema.json and
# doc/clupdate-output.rng: plans, errors, history, a run and its report.
source "$SRCDIR/tests/lib/cli.sh"
schema=$SRCDIR/doc/clupdate-output.schema.json
validate() {
	/usr/bin/python3 - "$schema" "$1" <<'PY' || fail "$1 does not match the schema"
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
jsonschema.Draft202012Validator(schema).validate(json.load(open(sys.argv[2])))
PY
}
cluster=static:$FIXTURES/cli/2node.ini
"$CLUPDATE" plan "$FIXTURES/cli/sp2.conf" --cluster "$cluster" --output-as json >a.json || fail plan
validate a.json
"$CLUPDATE" plan "$FIXTURES/cli/sp3.conf" --cluster "$cluster" --output-as json >b.json || fail plan
validate b.json
"$CLUPDATE" plan "$FIXTURES/cli/bad-key.conf" --cluster "$cluster" --output-as json >c.json 2>/dev/null
validate c.json
"$CLUPDATE" history --state-dir state --output-as json >d.json || fail history
validate d.json
bin=$SRCDIR/build/tests/test-report
[[ $CLUPDATE == */asan/* ]] && bin=$SRCDIR/build/asan/tests/test-report
"$bin" --make-journal rstate >/dev/null || fail "cannot make the report journal"
"$CLUPDATE" report 1 --state-dir rstate --output-as json >e.json || fail report
validate e.json
"$CLUPDATE" show 1 --state-dir rstate --output-as json >f.json || fail show
validate f.json

# The XML twins validate against doc/clupdate-output.rng.
for what in "report 1" "show 1" "status" "history"; do
	"$CLUPDATE" $what --state-dir rstate --output-as xml >out.xml || fail "$what --output-as xml"
	xmllint --noout --relaxng "$SRCDIR/doc/clupdate-output.rng" out.xml 2>err.txt ||
		fail "$what: not valid against the RNG schema: $(cat err.txt)"
done
