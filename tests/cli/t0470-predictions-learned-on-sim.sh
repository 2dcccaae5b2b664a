# Predictions learned from runs, on a simulated cluster: the demo's sp2 is
# applied once; then, the simulation started afresh, the plan of the same
# update on the same cluster predicts each step's duration with what that
# run measured ("learned from 1 run") and auto's figures come from it,
# while a plan with an empty journal, or of another cluster, still uses
# the manifest's expected times. A second apply is planned that way, and
# its report sets the plan's predictions against what was measured: the
# run's duration, and each group's interruption (not measured here: a
# simulated cluster has no service for probes). JSON and XML validate.
source "$SRCDIR/tests/lib/cli.sh"

mkdir sim && cp "$SRCDIR/demo/sim/lab.ini" sim/
cluster=sim:sim/lab.ini
manifest=$SRCDIR/demo/sp2/sp2.conf
fresh() { rm -f sim/lab.ini.state sim/lab.ini.state.log; }
validate() {
	/usr/bin/python3 - "$SRCDIR/doc/clupdate-output.schema.json" "$1" <<'PY' ||
import json, sys
import jsonschema
jsonschema.Draft202012Validator(json.load(open(sys.argv[1]))).validate(json.load(open(sys.argv[2])))
PY
	fail "$1 does not match the schema"
}

# Before any run: the manifest's figures.
"$CLUPDATE" plan "$manifest" --cluster "$cluster" --state-dir state --output-as json \
	>plan0.json 2>err.txt || fail "plan before: $(cat err.txt)"
[[ ! -e state ]] || fail "plan created the state directory"
[[ $(jq -r .plan.predicted_from plan0.json) == manifest ]] ||
	fail "before any run: $(jq -c '.plan | {predicted_seconds, predicted_from}' plan0.json)"
expected_install=$(jq -r '[.plan.steps[] | select(.action == "install")][0].predicted_seconds' plan0.json)

"$CLUPDATE" apply "$manifest" --cluster "$cluster" --state-dir state --yes >run1.txt \
	2>err1.txt || fail "first apply: $(cat err1.txt)"

# The same cluster afresh: the plan learns from run 1.
fresh
"$CLUPDATE" plan "$manifest" --cluster "$cluster" --state-dir state --output-as json \
	>plan1.json 2>err.txt || fail "plan after: $(cat err.txt)"
validate plan1.json
[[ $(jq -r '.plan | .predicted_from + " " + (.predicted_runs | tostring)' plan1.json) == "journal 1" ]] ||
	fail "not learned: $(jq -c '.plan | {predicted_seconds, predicted_from, predicted_runs}' plan1.json)"
install=$(jq -c '[.plan.steps[] | select(.action == "install")][0]
	| [.predicted_from, .predicted_runs, .predicted_seconds]' plan1.json)
[[ $install == '["journal",1,'* ]] || fail "install step: $install"
# The simulation's commands take no real time: far below the manifest's estimate.
awk -v l="$(jq '[.plan.steps[] | select(.action == "install")][0].predicted_seconds' plan1.json)" \
	-v m="$expected_install" 'BEGIN { exit !(l < m) }' ||
	fail "learned install $install not below the manifest's $expected_install s"
# No probe measured the interruption: it is still the manifest's.
[[ $(jq -r .plan.interruptions.mail.from plan1.json) == manifest ]] ||
	fail "interruption: $(jq -c .plan.interruptions plan1.json)"
"$CLUPDATE" plan "$manifest" --cluster "$cluster" --state-dir state >plan1.txt ||
	fail "plan text"
grep -q "takes about .* (learned from 1 run)" plan1.txt || fail "text: $(cat plan1.txt)"
grep -q "^Predicted duration: about .* (learned from 1 run;" plan1.txt || fail "text: $(cat plan1.txt)"
"$CLUPDATE" plan "$manifest" --cluster "$cluster" --state-dir state --output-as xml >plan1.xml ||
	fail "plan xml"
xmllint --noout --relaxng "$SRCDIR/doc/clupdate-output.rng" plan1.xml 2>err.txt ||
	fail "plan xml: $(cat err.txt)"
grep -q 'predicted_from="journal" predicted_runs="1"' plan1.xml || fail "xml: $(cat plan1.xml)"

# Another cluster, or another journal, learns nothing from that run.
cp sim/lab.ini sim/other.ini
"$CLUPDATE" plan "$manifest" --cluster sim:sim/other.ini --state-dir state --output-as json \
	>other.json || fail "plan of another cluster"
[[ $(jq -r .plan.predicted_from other.json) == manifest ]] || fail "another cluster learned"
mkdir -m 700 empty
"$CLUPDATE" plan "$manifest" --cluster "$cluster" --state-dir empty --output-as json \
	>empty.json || fail "plan with an empty journal directory"
[[ $(jq -r .plan.predicted_from empty.json) == manifest ]] || fail "an empty journal taught"
[[ ! -e empty/journal.db ]] || fail "plan created a journal"

# The second run is planned with run 1's figures; its report says so.
fresh
"$CLUPDATE" apply "$manifest" --cluster "$cluster" --state-dir state --yes >run2.txt \
	2>err2.txt || fail "second apply: $(cat err2.txt)"
grep -q "^Predicted against measured:" run2.txt || fail "apply's report: $(cat run2.txt)"
"$CLUPDATE" report 2 --state-dir state >report2.txt || fail "report 2"
grep -Eq "^  duration +predicted [0-9.]+ s \(learned from 1 run\), measured [0-9.]+ s$" report2.txt ||
	fail "report 2: $(cat report2.txt)"
grep -Eq "^  mail +predicted [0-9.]+ s in 1 window \(the manifest's estimate\), not measured \(no probe\)$" \
	report2.txt || fail "report 2 mail: $(cat report2.txt)"
"$CLUPDATE" report 1 --state-dir state >report1.txt || fail "report 1"
grep -Eq "^  duration +predicted [0-9.]+ s \(the manifest's estimate\), measured" report1.txt ||
	fail "report 1: $(cat report1.txt)"
"$CLUPDATE" report 2 --state-dir state --output-as json >report2.json || fail "report json"
validate report2.json
[[ $(jq -r '.report.prediction | .duration_from + " " + (.duration_runs | tostring)' report2.json) == "journal 1" ]] ||
	fail "report json: $(jq -c .report.prediction report2.json)"
[[ $(jq -r '.report.prediction.groups.mail.measured_ms' report2.json) == null ]] ||
	fail "report json mail: $(jq -c .report.prediction report2.json)"
# The plan predicted the whole run as report 2 sees it.
[[ $(jq -r '.report.prediction.duration_ms' report2.json) == \
   $(jq -r '.plan.predicted_seconds * 1000 | round' plan1.json) ]] ||
	fail "predicted duration: report $(jq .report.prediction.duration_ms report2.json), plan $(jq .plan.predicted_seconds plan1.json)"
"$CLUPDATE" report 2 --state-dir state --output-as xml >report2.xml || fail "report xml"
xmllint --noout --relaxng "$SRCDIR/doc/clupdate-output.rng" report2.xml 2>err.txt ||
	fail "report xml: $(cat err.txt)"
"$CLUPDATE" report 2 --state-dir state --output-as html >report2.html || fail "report html"
grep -q "<h2>Predicted against measured</h2>" report2.html || fail "html"
grep -q "learned from 1 run" report2.html || fail "html: not learned"
exit 0
