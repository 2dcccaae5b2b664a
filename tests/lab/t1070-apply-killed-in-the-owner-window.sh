# Issue 9: recovery that holds in the owner's window. `clupdate apply` is
# killed (SIGKILL) at the two instants random kills mostly miss, each found
# from the journal, not by sleeping:
#  A. sp2, just after step 1 (the pin) is done;
#  B. sp3 in place, while step 2 (the install on the owner) runs.
# Each time the same update is run again, under the SMTP probe's load, and
# must succeed: the group managed again (the second run's pin takes over the
# dead run's, with its prior: "absent"), every node at the target version,
# no constraint of clupdate left, no acknowledged message lost. Before the
# second run, `status` lists the dead run's pin as still in effect.
source "$SRCDIR/tests/lib/lab.sh"
lab_start "t1070-$$" 3
state=$WORK/state
owner=$(owner_of mail) || fail "mail is not running"

# again MANIFEST VERSION [options]: the same update again, to the end.
again() {
	local manifest=$1 version=$2 n cib
	shift 2
	"$CLUPDATE" status --state-dir "$state" --output-as json >"$WORK/status.json"
	jq -e '[.run.remaining[] | select(.kind == "meta" and .name == "is-managed")] | length == 1' \
		"$WORK/status.json" >/dev/null || fail "status does not show the dead run's pin: $(jq -c .run.remaining "$WORK/status.json")"
	"$CLUPDATE" apply "$manifest" --cluster "lab:$LAB" --state-dir "$state" --yes \
		--output-as json "$@" >"$WORK/again.json" 2>"$WORK/again.err" ||
		{ cat "$WORK/again.err" >&2; fail "the run after the kill failed"; }
	for n in n1 n2 n3; do
		[[ $(on "$owner" crm_attribute --node "$n" --name mail-version --query --quiet) == "$version" ]] ||
			fail "$n is not at version $version"
	done
	cib=$(on "$owner" cibadmin --query)
	grep -q 'name="is-managed"' <<<"$cib" && fail "mail is left unmanaged: $(grep is-managed <<<"$cib")"
	grep -q 'clupdate-ban-\|clupdate-prefer-' <<<"$cib" && fail "a constraint of clupdate is left"
	grep -q 'name="standby" value="on"' <<<"$cib" && fail "a node is left drained"
	grep -q 'cluster_property_set id="clupdate-lock"' <<<"$cib" && fail "the lock is left"
	[[ $(jq '.report.lost' "$WORK/again.json") == 0 ]] || fail "lost messages (or not checked)"
	jq -e '.run.events[] | select(.kind == "adopted")' "$WORK/again.json" >/dev/null ||
		fail "the second run did not take over the dead run's pin"
	note "run after the kill: $(jq '.report.acknowledged' "$WORK/again.json") messages acknowledged, 0 lost"
}

# A. Just after the pin.
kill_when "$SRCDIR/build/demo/sp2/sp2.conf" \
	"SELECT count(*) FROM step_attempts WHERE run_id = RUN AND step = 1 AND state = 'done'"
note "killed run $KILLED_RUN just after its pin"
[[ $(on "$owner" crm_resource --resource mail --meta --get-parameter is-managed 2>/dev/null) == false ]] ||
	fail "the killed run had not pinned mail"
again "$SRCDIR/build/demo/sp2/sp2.conf" 2

# B. During the install on the owner (sp3, in place).
kill_when "$SRCDIR/build/demo/sp3/sp3.conf" \
	"SELECT count(*) FROM step_attempts WHERE run_id = RUN AND step = 2 AND state = 'running'" \
	--strategy in-place
note "killed run $KILLED_RUN during the install on $owner"
again "$SRCDIR/build/demo/sp3/sp3.conf" 3 --strategy in-place
