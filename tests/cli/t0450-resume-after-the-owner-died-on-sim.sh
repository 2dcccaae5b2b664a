# The owner dies under the pin (sim: node-dies at n1's install): the run
# stops (exit 9), mail pinned and stopped, the guard's bans on n2 and n3.
# Once n1 is back, resume first unpins mail so that the engine starts it on
# n1 again (the guard's bans keep it off n2 and n3), then goes on from n1 as
# the owner: pinned, its install done again with mail in place (where an
# installer finds the data to migrate: on the lab, updating every node as a
# passive one left the store unmigrated and mail down for good; t1110
# 'install'), then the passive nodes.
source "$SRCDIR/tests/lib/cli.sh"

sim_lab n1-dies node-dies n1 install
expect_status 9 "$CLUPDATE" apply "$SRCDIR/demo/sp2/sp2.conf" --cluster sim:lab.ini --state-dir state \
	--yes >/dev/null 2>err.txt
grep -A8 '^\[group "mail"\]' lab.ini.state | grep -q "managed = no" || fail "not pinned: $(cat lab.ini.state)"
grep -A8 '^\[group "mail"\]' lab.ini.state | grep -q "owner = " && fail "mail runs: $(cat lab.ini.state)"

# n1 powers on again (a fault of the running simulation: in its state file).
cat >>lab.ini.state <<'INI'

[fault "n1-back"]
what = node-returns
node = n1
INI
"$CLUPDATE" resume --state-dir state --yes --output-as json >out.json 2>err.txt || fail "resume: $(cat err.txt)"
[[ $(jq -r .run.state out.json) == succeeded ]] || fail "state: $(jq -c .run out.json)"
steps=$(jq -r '[.run.steps[] | "\(.action) \(.node)"] | .[0:5] | join(", ")' out.json)
[[ $steps == "unpin n1, pin n1, install n1, verify n1, unpin n1" ]] ||
	fail "resume does not start mail on n1 again and update it as the owner: $steps"
jq -e '.run.events[] | select(.kind == "adopted" and .source == "mail")' out.json >/dev/null ||
	fail "the dead run's pin was not removed: $(jq -c .run.events out.json)"
grep -A8 '^\[group "mail"\]' lab.ini.state | grep -q "managed = yes" || fail "still pinned: $(cat lab.ini.state)"
grep -A8 '^\[group "mail"\]' lab.ini.state | grep -q "owner = n" || fail "mail runs nowhere: $(cat lab.ini.state)"
grep -A8 '^\[group "mail"\]' lab.ini.state | grep -q "banned" && fail "a ban is left: $(cat lab.ini.state)"
for n in n1 n2 n3; do
	grep -A6 "^\[node \"$n\"\]" lab.ini.state | grep -q "version = 2" || fail "$n: $(cat lab.ini.state)"
done
grep -q "GUARD BROKEN" lab.ini.state.log && fail "the guard broke: $(grep GUARD lab.ini.state.log)"
exit 0
