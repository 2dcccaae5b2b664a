# Issue 9: a switchover the engine gives up on is seen at once, named, and
# the run stops there: no further node is installed. Under the SMTP probe.
#  A. sp3 rolling on a lab still at version 1: maild 3 cannot read the
#     format-1 store, so its start fails on every updated node and the
#     group is left partly started. Before: the move was "done" (the owner
#     was read from the group's first member), the old owner was installed
#     and mail stayed down.
#  B. sp3 rolling on a lab at version 2 where the new maild fails to start
#     on the switchover target only: the engine recovers mail elsewhere in
#     a second. Before: clupdate waited for the 120 s settle timeout.
# Each time: exit 9 well before the settle timeout, a message naming the
# node and the failed operation, and the old owner not installed.
source "$SRCDIR/tests/lib/lab.sh"
sp3=$SRCDIR/build/demo/sp3/sp3.conf

# move_target: the node of the plan's move step (JSON plan of sp3 rolling).
move_target() {
	"$CLUPDATE" plan "$sp3" --cluster "lab:$LAB" --strategy rolling --output-as json |
		jq -r '.plan.steps[] | select(.action == "move") | .node'
}

# A load of its own (mail may be down at the end, where the probe's check
# cannot run): one message every 100 ms, the acknowledged ids in $WORK/acked.
start_load() {
	: >"$WORK/acked"
	rm -f "$WORK/stop-load"
	(
		while [[ ! -e $WORK/stop-load ]]; do
			"$CLUPDATE" lab client --name "$LAB" -- "$SRCDIR/build/demo/smtp-send" \
				"$(sed -n 's/^SUBNET=//p' "$LAB_ROOT/$LAB/lab.env").100" 25 \
				--subject t1080 --timeout-ms 2000 >>"$WORK/acked" 2>/dev/null || true
			sleep 0.1
		done
	) &
	load=$!
}

# assert_in_store FILE: every id in FILE is in the lab's shared store.
assert_in_store() {
	local listing id n=0
	listing=$("$SRCDIR/build/demo/maild-3" --list-store "$LAB_ROOT/$LAB/store" 2>/dev/null ||
		"$SRCDIR/build/demo/maild-1" --list-store "$LAB_ROOT/$LAB/store") || fail "cannot list the store"
	while read -r id; do
		[[ -n $id ]] || continue
		grep -qx "$id" <<<"$listing" || fail "acknowledged message $id is not in the store"
		n=$((n + 1))
	done <"$1"
	((n > 0)) || fail "the load got no message acknowledged"
	note "$n messages of the test's own load acknowledged, all in the store"
}

# stops_at_move OWNER: apply sp3 rolling; it must fail at the move, fast.
stops_at_move() {
	local owner=$1 rc=0 took
	start_load
	"$CLUPDATE" apply "$sp3" --cluster "lab:$LAB" --state-dir "$WORK/state-$LAB" --yes \
		--strategy rolling --output-as json >"$WORK/apply.json" 2>"$WORK/apply.err" || rc=$?
	[[ $rc == 9 ]] || { cat "$WORK/apply.err" >&2; fail "exit $rc, expected 9 (a step failed)"; }
	[[ $(jq -r '.run.steps[-1].action' "$WORK/apply.json") == move ]] ||
		fail "the run did not stop at the move: $(jq -c '[.run.steps[] | [.index, .action, .node, .state]]' "$WORK/apply.json")"
	took=$(jq '.run.steps[-1].duration_ms' "$WORK/apply.json")
	((took < 60000)) || fail "the failed move took $took ms: it waited for the settle timeout"
	grep -q "the engine gave up on 'mail' running on '$target'" "$WORK/apply.err" ||
		fail "the message does not say what the engine did: $(cat "$WORK/apply.err")"
	grep -q "'maild' start on '$target' failed" "$WORK/apply.err" ||
		fail "the message does not name the failed start on $target: $(cat "$WORK/apply.err")"
	grep -q "mail-sp3 install node=$owner " "$LAB_ROOT/$LAB/nodes/$owner/opt-clupdate-mail/where.log" 2>/dev/null &&
		fail "the old owner $owner was installed after the failed move"
	# mail may be down now (A): the store itself says whether any
	# acknowledged message is missing, the probe's own and the load's.
	# (the message in flight is waited for: it may be acknowledged yet)
	touch "$WORK/stop-load"
	wait "$load" || true
	assert_in_store "$WORK/acked"
	note "stopped at the move after $took ms: $(grep -o "the engine gave up.*" "$WORK/apply.err" | head -1)"
}

# --- A. the store unreadable by the new version everywhere -----------------
lab_start "t1080a-$$" 3
owner=$(owner_of mail) || fail "mail is not running"
target=$(move_target)
[[ -n $target ]] || fail "no move in the sp3 rolling plan"
note "A: mail on $owner, sp3 rolling moves it to $target"
stops_at_move "$owner"
"$CLUPDATE" lab down --name "$LAB" >/dev/null 2>&1

# --- B. the new version fails on the switchover target only ---------------
lab_start "t1080b-$$" 3
owner=$(owner_of mail) || fail "mail is not running"
"$CLUPDATE" apply "$SRCDIR/build/demo/sp2/sp2.conf" --cluster "lab:$LAB" --state-dir "$WORK/sp2" \
	--yes >/dev/null 2>"$WORK/sp2.err" || { cat "$WORK/sp2.err" >&2; fail "sp2 failed"; }
target=$(move_target)
note "B: mail on $owner at version 2, sp3 rolling moves it to $target, whose maild 3 will not start"
# Once the target is verified at 3, its maild is replaced by one that fails.
(
	for ((i = 0; i < 2400; i++)); do
		[[ $(sqlite3 "$WORK/state-$LAB/journal.db" "SELECT count(*) FROM step_attempts
			WHERE action = 'verify' AND node = '$target' AND state = 'done'" 2>/dev/null) == 1 ]] &&
			break
		sleep 0.05
	done
	bin=$LAB_ROOT/$LAB/nodes/$target/opt-clupdate-mail/bin/maild
	printf '#!/bin/sh\necho "maild: sabotaged by t1080" >&2\nexit 1\n' >"$bin.t1080"
	chmod 0755 "$bin.t1080"
	mv -f "$bin.t1080" "$bin"
) &
saboteur=$!
stops_at_move "$owner"
wait "$saboteur"
