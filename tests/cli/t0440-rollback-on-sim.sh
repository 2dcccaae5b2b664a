# clupdate rollback on a simulated cluster (--cluster sim:FILE): sp2 (its
# installer migrates the data on the owner) applied, then rolled back:
# refused without a down-migration (exit 5, the group, the node and the
# missing key named; the cluster's state and the journal's runs unchanged);
# with a down-migration, --dry-run shows the owner first, pinned, its step
# running the down-migration then the rollback, and the rollback puts every
# node back at 1, journalled as a run of strategy 'rollback', the guard
# never broken. Then a partial run (one node updated, the data not
# migrated) rolled back with the version learnt from the other nodes, and
# again with its rollback failing once: resume goes on as a rollback.
source "$SRCDIR/tests/lib/cli.sh"

cp "$SRCDIR/demo/sim/lab.ini" .
# sp2 (it has a rollback) with previous-version: after a whole run every node is at 2.
sed -e 's/^version = 2$/version = 2\nprevious-version = 1/' "$SRCDIR/demo/sp2/sp2.conf" >sp2.conf
sed 's/^timeout = 2m$/down-migration = "$CLU_MANIFEST_DIR\/down-migrate"\ntimeout = 2m/' \
	sp2.conf >sp2d.conf
grep -q '^down-migration' sp2d.conf && grep -q '^previous-version = 1' sp2.conf &&
	grep -q '^rollback = ' sp2.conf ||
	fail "the test's manifests were not made"
run() { "$CLUPDATE" "$@" --cluster sim:lab.ini --state-dir state; }

run apply sp2.conf --yes >/dev/null 2>err.txt || fail "apply sp2: $(cat err.txt)"
cp lab.ini.state before.state

# Migrated, no down-migration: refused, and nothing changes.
expect_status 5 run rollback sp2.conf --yes >out.txt 2>err.txt
for part in "rollback of mail-sp2 refused" "the data of group 'mail' is migrated" \
	"on 'n1', its owner" "declares no down-migration command ([install] down-migration)"; do
	grep -qF "$part" err.txt || fail "refusal does not say '$part': $(cat err.txt)"
done
expect_status 5 run rollback sp2.conf --dry-run >/dev/null 2>&1
cmp -s before.state lab.ini.state || fail "a refused rollback changed the cluster: $(diff before.state lab.ini.state)"
[[ $("$CLUPDATE" history --state-dir state --output-as json | jq '.runs | length') == 1 ]] ||
	fail "a refused rollback was journalled"

# With a down-migration: the plan, then the run.
run rollback sp2d.conf --dry-run --output-as json >plan.json 2>err.txt || fail "dry run: $(cat err.txt)"
[[ $(jq -r '[.plan.steps[0:3][] | "\(.action) \(.node)"] | join(", ")' plan.json) == \
	"pin n1, install n1, verify n1" ]] || fail "not the owner first: $(jq -c .plan.steps plan.json)"
[[ $(jq -r .plan.version plan.json) == 1 ]] || fail "plan version: $(jq -r .plan.version plan.json)"
jq -r '.plan.steps[1].description' plan.json | grep -qF "down-migration, then its rollback, while 'mail' stays pinned" ||
	fail "the owner's step: $(jq -r '.plan.steps[1].description' plan.json)"
jq -r '.plan.steps[5].description' plan.json | grep -qF "roll 'n2' back to version 1 (mail-sp2's rollback)" ||
	fail "a passive's step: $(jq -r '.plan.steps[5].description' plan.json)"
cmp -s before.state lab.ini.state || fail "--dry-run changed the cluster"

run rollback sp2d.conf --yes --output-as json >out.json 2>err.txt || fail "rollback: $(cat err.txt)"
[[ $(jq -r '.run.state' out.json) == succeeded ]] || fail "state: $(jq -c .run out.json)"
[[ $(jq -r '.run.strategy' out.json) == rollback ]] || fail "strategy: $(jq -r .run.strategy out.json)"
[[ $(jq -r '.run.version' out.json) == 1 ]] || fail "version: $(jq -r .run.version out.json)"
grep -q "rolling mail-sp2 2 back to version 1" err.txt || fail "progress: $(cat err.txt)"
log=lab.ini.state.log
grep -q "GUARD BROKEN" "$log" && fail "the guard broke: $(grep GUARD "$log")"
grep -q "install on 'n1': data of 'mail' migrated 2 -> 1" "$log" || fail "no down-migration: $(cat "$log")"
for n in n1 n2 n3; do
	grep -q "verify on '$n': version 1" "$log" || fail "$n not back at 1: $(cat "$log")"
done
grep -q "^version = 2" lab.ini.state && fail "a node is still at 2: $(cat lab.ini.state)"

# A partial run: n2 alone at 2, the data not migrated; the version comes from n1 and n3.
cat >part.ini <<'EOF'
[node "n1"]
version = 1
[node "n2"]
version = 2
[node "n3"]
version = 1
[group "mail"]
owner = n1
data-version = 1
EOF
grep -v '^previous-version' sp2.conf >sp2-part.conf
"$CLUPDATE" rollback sp2-part.conf --cluster sim:part.ini --state-dir state2 --yes \
	--output-as json >out.json 2>err.txt || fail "partial rollback: $(cat err.txt)"
[[ $(jq -r '[.run.steps[] | "\(.action) \(.node)"] | join(", ")' out.json) == \
	"drain n2, install n2, verify n2, undrain n2" ]] || fail "steps: $(jq -c .run.steps out.json)"
grep -q "^version = 2" part.ini.state && fail "n2 is still at 2"

# A rollback stopped by a failed rollback command goes on as a rollback on resume.
rm -f part.ini.state*
cat >>part.ini <<'EOF'
[fault "n2-rollback-fails"]
what = install-fails
node = n2
EOF
expect_status 9 "$CLUPDATE" rollback sp2-part.conf --cluster sim:part.ini --state-dir state3 \
	--yes >/dev/null 2>err.txt
grep -q "^standby = yes" part.ini.state || fail "the failed rollback did not leave n2 drained"
"$CLUPDATE" resume --state-dir state3 --yes --output-as json >out.json 2>err.txt ||
	fail "resume of the rollback: $(cat err.txt)"
[[ $(jq -r '.run.strategy + " " + .run.version + " " + .run.state' out.json) == "rollback 1 succeeded" ]] ||
	fail "resumed as: $(jq -c '.run | {strategy, version, state}' out.json)"
grep -q "^version = 2" part.ini.state && fail "n2 is still at 2 after the resume"
grep -q "^standby = yes" part.ini.state && fail "n2 is left drained"
exit 0
