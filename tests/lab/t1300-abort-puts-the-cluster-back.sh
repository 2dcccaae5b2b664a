# Issue 12 acceptance: `clupdate abort` on a real 3-node lab puts the
# cluster's admin state back exactly, but for the version guard's bans it
# names. A snapshot of the CIB (constraints, permanent node attributes,
# resources' meta attributes, cluster properties; normalised by
# tests/lib/cib-snapshot.py) is taken before any run; after each abort the
# snapshot again must differ from it by exactly the bans abort names as
# kept (each for a node older than the group's data), nothing else. Every
# node's recorded version is the version its software reports (abort does
# not roll software back, so the version attribute is checked this way,
# not diffed). Four points, each found from the journal, not by sleeping:
#  A. sp2 in place, the apply SIGKILLed during the owner's pin, before its
#     install: abort from the journal alone; nothing kept;
#  B. sp2 in place, after the owner's install (the store migrated): abort
#     from another host (node n2, --cluster pacemaker) while apply runs:
#     through the lock in the CIB the holder stops (exit 11); the guard's
#     bans stay, named with why;
#  C. sp2 in place again, during a passive node's drain: abort (SIGTERM on
#     this host) stops it, puts the drain back, keeps the guard;
#  D. sp3 rolling after the switchover (move): abort puts back the
#     preference, bans and drains; nothing kept (sp3 migrates nothing).
# Under SMTP load all along: the runs' own probes, and the manifest's
# probes around each abort (`clupdate probe -- clupdate abort`); no
# acknowledged message is lost.
source "$SRCDIR/tests/lib/lab.sh"
lab_start "t1300-$$" 3
state=$WORK/state
sp2=$SRCDIR/build/demo/sp2/sp2.conf
sp3=$SRCDIR/build/demo/sp3/sp3.conf
owner=$(owner_of mail) || fail "mail is not running after lab up"
note "mail runs on $owner"

# The CIB's admin state, from any node that answers.
snapshot() {
	local n
	for n in n1 n2 n3; do
		on "$n" cibadmin --query 2>/dev/null |
			python3 "$SRCDIR/tests/lib/cib-snapshot.py" --skip-node-attribute mail-version &&
			return 0
	done
	fail "no node answers cibadmin"
}
snapshot >"$WORK/before"
grep -q '^constraint\|is-managed\|standby=on\|clupdate-lock' "$WORK/before" &&
	fail "the lab starts with something of clupdate's: $(cat "$WORK/before")"

# Messages acknowledged and lost, from a result with a report ($1) and
# what the test saw so far.
ACKED=0
tally_load() {
	local file=$1 what=$2
	[[ $(jq '.report.lost' "$file") == 0 ]] ||
		fail "$what: lost messages (or not checked): $(jq -c .report "$file"); $(grep -v 'step ' "${file%.json}.err")"
	ACKED=$((ACKED + $(jq '.report.acknowledged' "$file")))
}

# abort_under_load NAME [where]: `clupdate abort` of the journal's last run,
# under the manifest's probes; with where=n2 from inside node n2 (another
# host: --cluster pacemaker), else from this machine (lab:NAME).
abort_under_load() {
	local name=$1 where=${2:-} acked lost
	local cmd=("$CLUPDATE" abort --state-dir "$state" --output-as json)
	if [[ -n $where ]]; then
		cmd=("$CLUPDATE" lab exec --name "$LAB" "$where" -- "${cmd[@]}" --cluster pacemaker)
	else
		cmd+=(--cluster "lab:$LAB")
	fi
	"$CLUPDATE" probe "$sp2" --cluster "lab:$LAB" --state-dir "$WORK/$name.probe" -- \
		sh -c '"$@" >"$0"' "$WORK/$name.json" "${cmd[@]}" \
		>"$WORK/$name.probe.txt" 2>"$WORK/$name.err" ||
		{ cat "$WORK/$name.err" >&2; fail "$name: abort failed"; }
	read -r acked lost < <(probe_lost "$WORK/$name.probe")
	((acked > 0)) || fail "$name: no message acknowledged during the abort"
	((lost == 0)) || fail "$name: $lost of $acked messages acknowledged during the abort are lost"
	ACKED=$((ACKED + acked))
	jq -e '.abort.run' "$WORK/$name.json" >/dev/null || fail "$name: $(cat "$WORK/$name.json")"
}

# assert_put_back NAME: the snapshot now is the one before the first run
# plus exactly the bans abort named as kept, each for a node whose software
# is older than the group's data; the only other things kept are nodes'
# recorded versions, each that node's software's; every node's version
# attribute is its software's version; mail runs, on one node.
assert_put_back() {
	local name=$1 what group node n sw attr
	: >"$WORK/$name.expected"
	while IFS= read -r what; do
		[[ $what =~ \'([^\']+)\'\ (stays\ banned|is\ banned|is\ now\ banned)\ from\ \'([^\']+)\' ]] ||
			fail "$name: kept, not a guard ban: $what"
		group=${BASH_REMATCH[1]} node=${BASH_REMATCH[3]}
		echo "constraint rsc_location id=clupdate-ban-$group-on-$node node=$node rsc=$group score=-INFINITY" \
			>>"$WORK/$name.expected"
		[[ $(on "$node" /opt/clupdate-mail/bin/maild --version) == 1 ]] ||
			fail "$name: the ban on $node is kept, but $node is not older than the data"
	done < <(jq -r '.abort.kept[] | select(.why | startswith("the version guard: ")) | .what' \
		"$WORK/$name.json")
	# A node's recorded version stays too (its software is installed): it
	# must be the version of the maild that node runs.
	while read -r node attr; do
		[[ $(on "$node" /opt/clupdate-mail/bin/maild --version) == "$attr" ]] ||
			fail "$name: abort kept $node's recorded version $attr, but $node runs another maild"
	done < <(jq -r '.abort.kept[] | select(.why | startswith("a node'"'"'s recorded version")) |
		.what' "$WORK/$name.json" | sed -n 's/^node-attribute \([^ ]*\) mail-version = \([^ ]*\) .*/\1 \2/p')
	jq -r '.abort.kept[].why' "$WORK/$name.json" |
		grep -v -e "^the version guard: " -e "^a node's recorded version: " &&
		fail "$name: kept for another reason"
	wait_until 120 "mail running after abort $name" mail_started
	snapshot >"$WORK/$name.after"
	diff "$WORK/before" "$WORK/$name.after" >"$WORK/$name.diff" || true
	sed -n 's/^> //p' "$WORK/$name.diff" | sort >"$WORK/$name.added"
	grep -q '^<' "$WORK/$name.diff" && fail "$name: abort did not put back: $(cat "$WORK/$name.diff")"
	diff <(sort "$WORK/$name.expected") "$WORK/$name.added" >&2 ||
		fail "$name: the CIB differs from before by more (or less) than the kept bans"
	for n in n1 n2 n3; do
		sw=$(on "$n" /opt/clupdate-mail/bin/maild --version)
		attr=$(on "$n" crm_attribute --node "$n" --name mail-version --query --quiet)
		[[ $sw == "$attr" ]] || fail "$name: $n runs maild $sw but its attribute says $attr"
	done
	note "$name: put back; kept $(wc -l <"$WORK/$name.expected") guard ban(s)" \
		"$(jq -c '[.abort.kept[].what]' "$WORK/$name.json")"
}
mail_started() { [[ -n $(owner_of mail) ]]; }

# A. SIGKILL during the owner's pin (mail unmanaged, the step still
# waiting for the engine), before the install; abort from the journal alone.
kill_when "$sp2" "SELECT count(*) FROM changes WHERE run_id = RUN AND name = 'is-managed'
	AND state = 'applied' AND NOT EXISTS (SELECT 1 FROM step_attempts WHERE run_id = RUN
	AND action = 'install')"
abort_under_load A
[[ $(jq -r '.abort.stopped' "$WORK/A.json") == null ]] || fail "A: a dead run was 'stopped'"
[[ $(jq '.abort.kept | length' "$WORK/A.json") == 0 ]] ||
	fail "A: bans kept before any install: $(jq -c .abort.kept "$WORK/A.json")"
jq -e '.abort.restored[] | select(.what | test("unpinned"))' "$WORK/A.json" >/dev/null ||
	fail "A: the pin was not put back: $(jq -c .abort "$WORK/A.json")"
assert_put_back A

# B. After the owner's install: abort from node n2, through the CIB lock.
apply_until "$sp2" "SELECT count(*) FROM step_attempts WHERE run_id = RUN
	AND action = 'install' AND state = 'done'"
note "B: run $APPLY_RUN installed on $owner; abort from n2"
abort_under_load B n2
rc=0
wait "$APPLY_PID" || rc=$?
[[ $rc == 11 ]] || { cat "$WORK/until.err" >&2; fail "B: the apply exited $rc, not 11 (stopped)"; }
grep -q "abort requested by clupdate pid [0-9]* on host 'n2'" "$WORK/until.err" ||
	fail "B: the holder does not say who stopped it: $(tail -5 "$WORK/until.err")"
[[ $(jq -r '.abort.stopped' "$WORK/B.json") == *"run $APPLY_RUN"* ]] ||
	fail "B: abort did not stop the run: $(jq -c .abort "$WORK/B.json")"
tally_load "$WORK/until.json" "B: the stopped apply"
[[ $(jq '.abort.kept | length' "$WORK/B.json") -ge 1 ]] ||
	fail "B: no guard ban kept after the owner's migration: $(jq -c .abort "$WORK/B.json")"
jq -r '.abort.kept[].why' "$WORK/B.json" | grep -q "older than the data of 'mail' (version 2)" ||
	fail "B: why: $(jq -c .abort.kept "$WORK/B.json")"
assert_put_back B

# C. sp2 again (it adopts the kept bans), stopped during a passive drain.
apply_until "$sp2" "SELECT count(*) FROM step_attempts WHERE run_id = RUN
	AND action = 'drain' AND state = 'running'"
note "C: run $APPLY_RUN drains $(sqlite3 "$state/journal.db" "SELECT node FROM step_attempts
	WHERE run_id = $APPLY_RUN AND action = 'drain'"); abort"
abort_under_load C
rc=0
wait "$APPLY_PID" || rc=$?
[[ $rc == 11 ]] || { cat "$WORK/until.err" >&2; fail "C: the apply exited $rc, not 11"; }
tally_load "$WORK/until.json" "C: the stopped apply"
jq -e '.abort.restored[] | select(.what | test("back in service"))' "$WORK/C.json" >/dev/null ||
	fail "C: the drain was not put back: $(jq -c .abort "$WORK/C.json")"
assert_put_back C

# sp2 to the end (it removes the bans), then D: sp3 rolling after the move.
"$CLUPDATE" apply "$sp2" --cluster "lab:$LAB" --state-dir "$state" --yes --output-as json \
	>"$WORK/sp2.json" 2>"$WORK/sp2.err" || { cat "$WORK/sp2.err" >&2; fail "sp2 after C failed"; }
tally_load "$WORK/sp2.json" "sp2 to the end"
[[ $(snapshot) == "$(cat "$WORK/before")" ]] || fail "sp2 done, but the CIB is not as before"
apply_until "$sp3" "SELECT count(*) FROM step_attempts WHERE run_id = RUN
	AND action = 'move' AND state = 'done'" --strategy rolling
note "D: run $APPLY_RUN moved mail to $(owner_of mail); abort"
abort_under_load D
rc=0
wait "$APPLY_PID" || rc=$?
[[ $rc == 11 ]] || { cat "$WORK/until.err" >&2; fail "D: the apply exited $rc, not 11"; }
tally_load "$WORK/until.json" "D: the stopped apply"
[[ $(jq '[.abort.kept[] | select(.why | startswith("the version guard: "))] | length' \
	"$WORK/D.json") == 0 ]] ||
	fail "D: kept after sp3 (no migration): $(jq -c .abort.kept "$WORK/D.json")"
jq -e '.abort.restored[] | select(.what | test("preference|ban"))' "$WORK/D.json" >/dev/null ||
	fail "D: no constraint of the switchover put back: $(jq -c .abort.restored "$WORK/D.json")"
assert_put_back D

"$CLUPDATE" status --state-dir "$state" --output-as json >"$WORK/status.json"
[[ $(jq -r '.run.state' "$WORK/status.json") == aborted ]] || fail "the last run is not marked aborted"
note "4 abort points (A-D), each put back but the named guard bans; $ACKED messages acknowledged, 0 lost"
