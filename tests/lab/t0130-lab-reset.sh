# `clupdate lab reset`: one lab serves many update runs. The lab is left
# as a failed run leaves it (sp2 killed after the owner's install, with
# mail pinned, a guard ban in place and the store migrated) and with a node
# powered off; reset must bring back the start state: every node on and
# online at the version asked for (binary, VERSION, attribute), nothing of
# clupdate's in the CIB, a fresh store, mail on n1, SMTP answering. Then a
# full sp2 run from that state succeeds, under the probe's load, 0 lost.
# With n3 off, it also checks that require-all-nodes-online refuses.
source "$SRCDIR/tests/lib/lab.sh"
lab_start "t0130-$$" 3
state=$WORK/state
sp2=$SRCDIR/build/demo/sp2/sp2.conf

kill_when "$sp2" "SELECT count(*) FROM step_attempts WHERE run_id = RUN AND step = 2 AND state = 'done'"
note "killed run $KILLED_RUN after the owner's install"
grep -q 'clupdate-' <<<"$(on n1 cibadmin --query --scope constraints)" ||
	fail "the killed run left no guard ban: the test does not start from a dirty lab"
"$CLUPDATE" lab kill --name "$LAB" n3 >/dev/null 2>&1 || fail "cannot power off n3"

# While n3 is off: require-all-nodes-online = yes refuses to plan (and so
# to start), naming it (issue 11, CAU's RequireAllNodesOnline).
sed 's/^\[update\]$/[update]\nrequire-all-nodes-online = yes/' "$sp2" >"$WORK/sp2-all-online.conf"
n3_offline() { on n1 crm_mon --one-shot --output-as=xml | grep -q '<node name="n3" [^>]*online="false"'; }
wait_until 60 "n1 to see n3 offline" n3_offline
rc=0
"$CLUPDATE" plan "$WORK/sp2-all-online.conf" --cluster "lab:$LAB" >/dev/null 2>"$WORK/plan.err" || rc=$?
((rc != 0)) || fail "plan with require-all-nodes-online and n3 off was not refused"
grep -q "require-all-nodes-online = yes.*1 of 3 nodes is offline: 'n3'" "$WORK/plan.err" ||
	fail "the refusal does not name require-all-nodes-online and n3: $(cat "$WORK/plan.err")"
note "refused (exit $rc): $(cat "$WORK/plan.err")"

# assert_start_state VERSION: the state reset promises.
assert_start_state() {
	local version=$1 n cib
	for n in n1 n2 n3; do
		[[ $(on "$n" /opt/clupdate-mail/bin/maild --version) == "$version" ]] || fail "$n: maild is not $version"
		[[ $(on "$n" cat /opt/clupdate-mail/VERSION) == "$version" ]] || fail "$n: VERSION is not $version"
		[[ $(on n1 crm_attribute --node "$n" --name mail-version --query --quiet) == "$version" ]] ||
			fail "$n: mail-version is not $version"
	done
	cib=$(on n1 cibadmin --query)
	grep -q '<rsc_location' <<<"$cib" && fail "a location constraint is left: $(grep rsc_location <<<"$cib")"
	grep -q 'name="is-managed"\|name="target-role"' <<<"$cib" && fail "a meta attribute of the reset or clupdate is left"
	grep -q 'name="standby" value="on"' <<<"$cib" && fail "a node is left in standby"
	grep -q 'id="clupdate-lock"' <<<"$cib" && fail "the lock is left"
	[[ $(owner_of mail) == n1 ]] || fail "mail is not on n1"
	[[ $(on n1 crm_mon --one-shot --output-as=xml | xmllint --xpath 'count(//node[@online="true"])' -) == 3 ]] ||
		fail "not every node is online"
}

"$CLUPDATE" lab reset --name "$LAB" --version 1 >"$WORK/reset.out" 2>&1 || { cat "$WORK/reset.out" >&2; fail "reset failed"; }
note "$(tail -1 "$WORK/reset.out")"
assert_start_state 1
# A fresh store: formatted by maild 1 (the killed run had migrated it to
# 2), as soon as it serves it.
store_formatted() { [[ -s $LAB_ROOT/$LAB/store/FORMAT ]]; }
wait_until 30 "maild to format the fresh store" store_formatted
[[ $(cat "$LAB_ROOT/$LAB/store/FORMAT") == 1 ]] || fail "the store is not a fresh format-1 store"

"$CLUPDATE" apply "$sp2" --cluster "lab:$LAB" --state-dir "$state" --yes --output-as json \
	>"$WORK/apply.json" 2>"$WORK/apply.err" || { cat "$WORK/apply.err" >&2; fail "sp2 after reset failed"; }
assert_sp2_done "$WORK/apply.json" "$state" n1

"$CLUPDATE" lab reset --name "$LAB" --version 2 >"$WORK/reset.out" 2>&1 || { cat "$WORK/reset.out" >&2; fail "reset to 2 failed"; }
assert_start_state 2
