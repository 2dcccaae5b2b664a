# Waves and the quorum margin. On five nodes with max-unavailable 3, the
# passive nodes go two at a time (the third would leave 2 votes of the 3
# needed): text shows the waves and the margin of every step, JSON and XML
# a wave and the votes on each step (and validate). With two nodes offline,
# no step may take a third out: refused, naming the step. With
# require-all-nodes-online, any offline node refuses the plan, naming it.
# Exit 5 for refusals.
source "$SRCDIR/tests/lib/cli.sh"
sp3=$FIXTURES/cli/sp3-waves.conf
five=static:$FIXTURES/cli/5node.ini
offline=static:$FIXTURES/cli/5node-2offline.ini

"$CLUPDATE" plan "$sp3" --cluster "$five" --strategy in-place >plan.txt 2>err.txt ||
	fail "plan failed: $(cat err.txt)"
grep -qx "  wave 2: 2 nodes together ('n2', 'n3'): drained together, their installers and verifies run at once" plan.txt ||
	fail "no wave of n2 and n3: $(cat plan.txt)"
grep -qx "  wave 3: 2 nodes together ('n4', 'n5'): drained together, their installers and verifies run at once" plan.txt ||
	fail "no wave of n4 and n5"
(( $(grep -c "^       quorum: " plan.txt) == $(grep -c '^ *[0-9]*\. ' plan.txt) )) ||
	fail "not every step shows the quorum margin"
grep -A5 "^    6\. drain 'n3'" plan.txt | grep -qx "       quorum: 3 votes present, 3 needed, margin 0" ||
	fail "the second drain of the wave: $(grep -A5 "^    6\." plan.txt)"

"$CLUPDATE" plan "$sp3" --cluster "$five" --strategy in-place --output-as json >plan.json ||
	fail "plan --output-as json"
waves=$(jq -r '[.plan.steps[] | "\(.wave):\(.action) \(.node // .group)"] | join(", ")' plan.json)
[[ $waves == "1:pin n1, 1:install n1, 1:verify n1, 1:unpin n1, 2:drain n2, 2:drain n3, 2:install n2, 2:install n3, 2:verify n2, 2:verify n3, 2:undrain n2, 2:undrain n3, 3:drain n4, 3:drain n5, 3:install n4, 3:install n5, 3:verify n4, 3:verify n5, 3:undrain n4, 3:undrain n5" ]] ||
	fail "waves: $waves"
margins=$(jq -r '[.plan.steps[] | "\(.votes_present)/\(.votes_needed)/\(.quorum_margin)"] | join(" ")' plan.json)
[[ $margins == "5/3/2 4/3/1 4/3/1 5/3/2 4/3/1 3/3/0 3/3/0 3/3/0 3/3/0 3/3/0 4/3/1 5/3/2 4/3/1 3/3/0 3/3/0 3/3/0 3/3/0 3/3/0 4/3/1 5/3/2" ]] ||
	fail "margins: $margins"
/usr/bin/python3 - "$SRCDIR/doc/clupdate-output.schema.json" plan.json <<'PY' || fail "plan.json does not match the schema"
import json, sys
import jsonschema
jsonschema.Draft202012Validator(json.load(open(sys.argv[1]))).validate(json.load(open(sys.argv[2])))
PY
"$CLUPDATE" plan "$sp3" --cluster "$five" --output-as xml >plan.xml || fail "plan --output-as xml"
xmllint --noout --relaxng "$SRCDIR/doc/clupdate-output.rng" plan.xml 2>err.txt ||
	fail "plan.xml: not valid against the RNG schema: $(cat err.txt)"
[[ $(xmllint --xpath 'count(//step[@wave="1"][@action="install"])' plan.xml) == 2 ]] ||
	fail "rolling: the first wave installs two nodes: $(cat plan.xml)"
[[ $(xmllint --xpath 'string(//step[@index="2"]/@quorum_margin)' plan.xml) == 0 ]] ||
	fail "rolling: the margin after the wave's second drain"

# Two nodes offline: 3 votes of the 3 needed; the owner's install would lose quorum.
expect_status 5 "$CLUPDATE" plan "$sp3" --cluster "$offline" --strategy in-place 2>err.txt
grep -qF "in-place plan refused at step 2 (install 'n1'): quorum: 2 of 5 votes would be present after it (2 nodes offline, 1 held out of service by the update), the cluster needs 3" err.txt ||
	fail "quorum refusal: $(cat err.txt)"

# require-all-nodes-online: refused before anything is planned, naming the nodes.
expect_status 5 "$CLUPDATE" plan "$FIXTURES/cli/sp3-all-online.conf" --cluster "$offline" 2>err.txt
grep -qF "require-all-nodes-online = yes in '$FIXTURES/cli/sp3-all-online.conf', but 2 of 5 nodes are offline: 'n4', 'n5'; bring them online first" err.txt ||
	fail "require-all-nodes-online: $(cat err.txt)"
"$CLUPDATE" plan "$FIXTURES/cli/sp3-all-online.conf" --cluster "$five" >/dev/null 2>err.txt ||
	fail "require-all-nodes-online with every node online: $(cat err.txt)"
