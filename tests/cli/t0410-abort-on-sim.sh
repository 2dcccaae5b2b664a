# abort on a simulated cluster (--cluster sim:FILE): sp2 in place stops at
# n2's failed installer; abort puts n2 back in service, keeps the version
# guard's bans on n2 and n3 (older than the migrated data) and names them;
# its JSON and XML validate; a second abort changes nothing; a succeeded
# run is refused (exit 5), an empty journal is a usage error (exit 2), and
# a lock held on another host that does not answer times out (exit 10).
source "$SRCDIR/tests/lib/cli.sh"

sim_lab n2-fails install-fails n2
sim=(--cluster sim:lab.ini --state-dir state)

expect_status 2 "$CLUPDATE" abort "${sim[@]}" 2>err.txt
grep -q "the journal has no run: nothing to abort" err.txt || fail "empty: $(cat err.txt)"

expect_status 9 "$CLUPDATE" apply "$SRCDIR/demo/sp2/sp2.conf" "${sim[@]}" --yes \
	>/dev/null 2>err.txt
"$CLUPDATE" abort "${sim[@]}" --output-as json >out.json 2>err.txt || fail "abort: $(cat err.txt)"
[[ $(jq -r '.abort.run' out.json) == 1 ]] || fail "run: $(cat out.json)"
[[ $(jq -r '.abort.restored[0].what' out.json) == "'n2' back in service (out of standby)" ]] ||
	fail "restored: $(jq -c .abort.restored out.json)"
# The guard's two bans, and n1's recorded version (its software is installed).
[[ $(jq '.abort.kept | length' out.json) == 3 ]] || fail "kept: $(jq -c .abort.kept out.json)"
jq -r '.abort.kept[].what' out.json | grep -q "^sim-version n1 version = 2" ||
	fail "n1's version: $(jq -c .abort.kept out.json)"
jq -r '.abort.kept[].why' out.json | grep -q "the version guard: 'n3' has version 1, older than the data of 'mail' (version 2)" ||
	fail "why: $(jq -c .abort.kept out.json)"
grep -q "kept: 'mail' stays banned from 'n2'" err.txt || fail "progress: $(cat err.txt)"
/usr/bin/python3 - "$SRCDIR/doc/clupdate-output.schema.json" out.json <<'PY' || fail "abort's JSON does not match the schema"
import json, sys
import jsonschema
jsonschema.Draft202012Validator(json.load(open(sys.argv[1]))).validate(json.load(open(sys.argv[2])))
PY

# The simulated cluster: n2 in service, mail managed, only the guard's bans.
state=lab.ini.state
grep -A3 '^\[node "n2"\]' "$state" | grep -q "standby = no" || fail "n2: $(cat "$state")"
grep -A8 '^\[group "mail"\]' "$state" | grep -q "managed = yes" || fail "mail: $(cat "$state")"
grep -q "GUARD BROKEN" lab.ini.state.log && fail "the guard broke: $(grep GUARD lab.ini.state.log)"
"$CLUPDATE" status --state-dir state --output-as json >status.json || fail status
[[ $(jq -r '.run.state' status.json) == aborted ]] || fail "state: $(jq -c .run status.json)"

# Again: nothing more to put back; the XML validates.
"$CLUPDATE" abort "${sim[@]}" --output-as xml >out.xml 2>err.txt || fail "again: $(cat err.txt)"
xmllint --noout --relaxng "$SRCDIR/doc/clupdate-output.rng" out.xml 2>err.txt ||
	fail "abort's XML: $(cat err.txt)"
grep -q '<restored/>' out.xml || fail "again restored: $(cat out.xml)"

# The same update again finishes; then there is nothing to abort.
"$CLUPDATE" apply "$SRCDIR/demo/sp2/sp2.conf" "${sim[@]}" --yes >/dev/null 2>err.txt ||
	fail "apply after abort: $(cat err.txt)"
expect_status 5 "$CLUPDATE" abort "${sim[@]}" 2>err.txt
grep -q "run 2 (mail-sp2 2) succeeded: there is nothing to abort" err.txt ||
	fail "succeeded: $(cat err.txt)"

# A run at work on another host: asked through the lock, it does not answer.
cat >>"$state" <<'INI'

[lock]
token = r9-elsewhere
host = elsewhere
pid = 4711
run = 9
since = 2026-12-06T12:00:00Z
beat = 3
INI
expect_status 10 "$CLUPDATE" abort "${sim[@]}" --settle-timeout 1 2>err.txt
grep -q "asked run 9 (clupdate pid 4711 on host 'elsewhere'.*through the cluster lock, to stop" err.txt ||
	fail "request: $(cat err.txt)"
grep -q "did not stop within 1 s; nothing was undone" err.txt || fail "timeout: $(cat err.txt)"
grep -q "^abort-by = clupdate pid [0-9]* on host" "$state" || fail "lock: $(cat "$state")"
exit 0
