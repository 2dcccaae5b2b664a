# Nothing lost on a crash: `clupdate apply` is killed (SIGKILL) right after
# it drained the second node. The journal still tells what the run did and
# left (the run is unfinished, its changes are listed), and the cluster is
# safe: mail runs on the updated owner and no node at version 1 may host it.
# Then the same update again: the new run takes over the dead run's cluster
# lock (its process is gone), updates the node left drained first and
# undrains it, finishes, and leaves nothing of either run behind.
source "$SRCDIR/tests/lib/lab.sh"
lab_start "t1030-$$" 3
state=$WORK/state
manifest=$SRCDIR/build/demo/sp2/sp2.conf
owner=$(owner_of mail) || fail "mail is not running"

# Kill it right after step 5 (the drain of the second node) is done.
kill_when "$manifest" "SELECT count(*) FROM step_attempts WHERE run_id = RUN AND step = 5 AND state = 'done'"
drained=$(sqlite3 "$state/journal.db" "SELECT node FROM step_attempts WHERE run_id = 1 AND step = 5")
note "killed apply after draining $drained"

# The journal tells it.
"$CLUPDATE" status --state-dir "$state" --output-as json >"$WORK/status.json"
jq -e '.run.state == "running" and (.run.remaining | length) >= 2' "$WORK/status.json" >/dev/null ||
	fail "the journal does not show the unfinished run and its changes: $(cat "$WORK/status.json")"
# Safe: mail on the updated owner, every node at version 1 kept off it.
[[ $(owner_of mail) == "$owner" ]] || fail "mail left $owner"
constraints=$(on "$owner" cibadmin --query --scope constraints)
for n in n1 n2 n3; do
	[[ $n == "$owner" ]] && continue
	[[ $(on "$owner" crm_attribute --node "$n" --name mail-version --query --quiet) == 2 ]] && continue
	grep -q "clupdate-ban-mail-on-$n\"" <<<"$constraints" ||
		fail "$n is at version 1 and not banned from mail"
done

# Again: it takes over, finishes and tidies up.
"$CLUPDATE" apply "$manifest" --cluster "lab:$LAB" --state-dir "$state" --yes \
	>"$WORK/second.out" 2>"$WORK/second.err" || { cat "$WORK/second.err" >&2; fail "the second run failed"; }
note "second run: $(grep -o 'step [0-9]*/[0-9]* [a-z-]* [a-z0-9]* done' "$WORK/second.err" | tr '\n' ';')"
for n in n1 n2 n3; do
	[[ $(on "$owner" crm_attribute --node "$n" --name mail-version --query --quiet) == 2 ]] ||
		fail "$n is not at version 2"
done
cib=$(on "$owner" cibadmin --query)
grep -q 'clupdate-ban-\|clupdate-prefer-' <<<"$cib" && fail "a constraint of clupdate is left"
grep -q 'name="standby" value="on"' <<<"$cib" && fail "a node is left drained"
grep -q 'name="is-managed"' <<<"$cib" && fail "mail is left pinned"
grep -q 'cluster_property_set id="clupdate-lock"' <<<"$cib" && fail "the lock is left"
"$CLUPDATE" history --state-dir "$state" --output-as json >"$WORK/history.json"
[[ $(jq -r '.runs[] | select(.id == 1) | .state' "$WORK/history.json") == failed ]] ||
	fail "the killed run is not marked failed"
jq -r '.runs[] | select(.id == 1) | .message' "$WORK/history.json" | grep -q "interrupted: its clupdate process" ||
	fail "the killed run's message does not say it was interrupted"
[[ $(jq -r '.runs[] | select(.id == 2) | .state' "$WORK/history.json") == succeeded ]] ||
	fail "the second run did not succeed"
