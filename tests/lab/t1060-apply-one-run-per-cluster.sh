# Issue 8: one run per cluster, on the real engine, under the SMTP probe's
# load (50 ms, no acknowledged message lost in any run).
#  1. Two `clupdate apply` start at the same instant (released together
#     from one gate), 20 times: each time exactly one runs to the end; the
#     other exits 10 and names the holder (its run, pid, host, since when).
#  2. The lock is renewed while an installer runs (its heartbeat moves
#     during one long install, not only between steps).
#  3. A lock whose holder on this host is gone is taken over at once; a
#     holder elsewhere is refused, and that lock is left as it was; with
#     --break-lock=S its heartbeat is watched for S s on our own clock:
#     moving, it is kept; still, it is taken over.
#  4. SIGPIPE (`apply 2>&1 | head -c40`) and SIGHUP: the lock is released
#     and the journal says how the run ended.
# Each trial updates one passive node to a new value of a trial attribute
# (a few seconds a run), so 20 trials fit in a couple of minutes.
source "$SRCDIR/tests/lib/lab.sh"
lab_start "t1060-$$" 3
owner=$(owner_of mail) || fail "mail is not running"
for passive in n1 n2 n3; do [[ $passive == "$owner" ]] || break; done
host=$(hostname)
note "mail runs on $owner; trials update $passive"

# trial_manifest VERSION INSTALL_SECONDS: a manifest whose installer records
# VERSION in the node attribute lock-trial after sleeping.
cat >"$WORK/trial-install" <<'EOF'
#!/bin/sh
sleep "$1"
exec crm_attribute --node "$CLU_NODE" --name lock-trial --lifetime forever --update "$CLU_VERSION"
EOF
cat >"$WORK/trial-verify" <<'EOF'
#!/bin/sh
exec crm_attribute --node "$CLU_NODE" --name lock-trial --lifetime forever --query --quiet
EOF
chmod +x "$WORK/trial-install" "$WORK/trial-verify"
trial_manifest() {
	cat >"$WORK/trial-$1.conf" <<-EOF
		[update]
		name = lock-trial
		version = $1
		groups = mail
		strategy = in-place
		data-migration = no
		takeover-compatible = yes
		max-unavailable = 1
		version-attribute = lock-trial
		[install]
		command = "\$CLU_MANIFEST_DIR/trial-install" $2
		verify = "\$CLU_MANIFEST_DIR/trial-verify"
		timeout = 1m
		[probe "smtp"]
		type = smtp
		address = :25
		interval-ms = 50
		check = "$SRCDIR/build/demo/sp2/check-delivered"
	EOF
	echo "$WORK/trial-$1.conf"
}

# Every node but $passive at VERSION: the plan updates $passive alone.
set_trial() {
	local n
	for n in n1 n2 n3; do
		[[ $n == "$passive" ]] || on "$owner" crm_attribute --node "$n" --name lock-trial \
			--lifetime forever --update "$1"
	done
}

no_lock_left() {
	local rc=0
	on "$owner" cibadmin --query --xpath "//cluster_property_set[@id='clupdate-lock']" \
		>/dev/null 2>&1 || rc=$?
	[[ $rc == 105 ]] || fail "the cluster lock is left: $(on "$owner" cibadmin --query --scope crm_config)"
}

apply() { "$CLUPDATE" apply "$1" --cluster "lab:$LAB" --yes --output-as json "${@:2}"; }

# --- 1. twenty races --------------------------------------------------------
exec {gate}>"$WORK/gate"
trials=${CLU_LOCK_TRIALS:-20}   # fewer only by hand, while developing
for ((t = 1; t <= trials; t++)); do
	set_trial "$t"
	manifest=$(trial_manifest "$t" 0.5)
	flock -x "$gate"
	pids=()
	for who in a b; do
		( flock -s "$WORK/gate" true; exec "$CLUPDATE" apply "$manifest" --cluster "lab:$LAB" \
			--yes --output-as json --state-dir "$WORK/state-$who" ) \
			>"$WORK/$who.json" 2>"$WORK/$who.err" &
		pids+=($!)
	done
	sleep 0.3   # both wait at the gate; then they go at the same instant
	flock -u "$gate"
	rcs=()
	for p in "${pids[@]}"; do
		rc=0; wait "$p" || rc=$?
		rcs+=("$rc")
	done
	case "${rcs[*]}" in
	"0 10") winner=a loser=b wpid=${pids[0]} ;;
	"10 0") winner=b loser=a wpid=${pids[1]} ;;
	*) cat "$WORK/a.err" "$WORK/b.err" >&2; fail "trial $t: exit statuses ${rcs[*]}, expected one 0 and one 10" ;;
	esac
	run=$(jq -r .run.id "$WORK/$winner.json")
	grep -q "the cluster is locked by run $run (clupdate pid $wpid on host '$host', since 20" \
		"$WORK/$loser.err" || fail "trial $t: the refusal does not name the holder: $(cat "$WORK/$loser.err")"
	[[ $(jq -r .run.state "$WORK/$winner.json") == succeeded ]] || fail "trial $t: the winner did not succeed"
	[[ $(on "$owner" crm_attribute --node "$passive" --name lock-trial --query --quiet) == "$t" ]] ||
		fail "trial $t: $passive was not updated"
	[[ $(jq '.report.lost' "$WORK/$winner.json") == 0 ]] || fail "trial $t: messages lost"
	no_lock_left
	# A refused run leaves no run in its journal: the run at work stays the last.
	runs=0
	for who in a b; do
		[[ -e $WORK/state-$who/journal.db ]] &&
			runs=$((runs + $(sqlite3 "$WORK/state-$who/journal.db" "SELECT count(*) FROM runs")))
	done
	[[ $runs == "$t" ]] || fail "trial $t: $runs runs in the two journals, expected $t (one a trial)"
	counts+="$winner"
done
note "$trials of $trials trials: exactly one run each (winners: $counts)"

# --- 2. renewed while the installer runs -----------------------------------
set_trial 21
manifest=$(trial_manifest 21 12)
apply "$manifest" --state-dir "$WORK/state-c" >"$WORK/c.json" 2>"$WORK/c.err" &
pid=$!
beat() {
	on "$owner" cibadmin --query --xpath "//nvpair[@name='clupdate-lock-beat']" 2>/dev/null |
		sed -n 's/.*value="\([0-9]*\)".*/\1/p'
}
installing() {
	[[ $(sqlite3 "$WORK/state-c/journal.db" "SELECT count(*) FROM step_attempts
		WHERE action = 'install' AND state = 'running'" 2>/dev/null) == 1 ]]
}
wait_until 30 "the install step" installing
first=$(beat)
moved=
while installing; do
	b=$(beat)
	[[ -n $b && -n $first && $b != "$first" ]] && { moved=$b; break; }
	sleep 0.5
done
[[ -n $moved ]] || fail "the lock's heartbeat did not move during a 12 s install (it was $first)"
wait "$pid" || { cat "$WORK/c.err" >&2; fail "the long-install run failed"; }
note "heartbeat moved from $first to $moved while the installer ran"
no_lock_left

# --- 3. holders gone and holders elsewhere ---------------------------------
plant_lock() { # HOST PID
	on "$owner" cibadmin --create --scope crm_config --xml-text "<cluster_property_set id=\"clupdate-lock\">
		<nvpair id=\"clupdate-lock-token\" name=\"clupdate-lock-token\" value=\"r9-p$2-planted\"/>
		<nvpair id=\"clupdate-lock-host\" name=\"clupdate-lock-host\" value=\"$1\"/>
		<nvpair id=\"clupdate-lock-pid\" name=\"clupdate-lock-pid\" value=\"$2\"/>
		<nvpair id=\"clupdate-lock-run\" name=\"clupdate-lock-run\" value=\"9\"/>
		<nvpair id=\"clupdate-lock-since\" name=\"clupdate-lock-since\" value=\"2026-01-01T00:00:00Z\"/>
		<nvpair id=\"clupdate-lock-beat\" name=\"clupdate-lock-beat\" value=\"3\"/></cluster_property_set>"
}
set_trial 22
manifest=$(trial_manifest 22 0)
plant_lock elsewhere 4242
rc=0; apply "$manifest" --state-dir "$WORK/state-d" >/dev/null 2>"$WORK/d.err" || rc=$?
[[ $rc == 10 ]] || fail "a lock held elsewhere: exit $rc, expected 10: $(cat "$WORK/d.err")"
grep -q "locked by run 9 (clupdate pid 4242 on host 'elsewhere', since 2026-01-01T00:00:00Z" "$WORK/d.err" ||
	fail "refusal: $(cat "$WORK/d.err")"
on "$owner" cibadmin --query --xpath "//nvpair[@value='r9-p4242-planted']" >/dev/null ||
	fail "the refused run removed another host's lock"
# --break-lock watches the holder's heartbeat on our clock: one that moves
# (another host renewing it) is alive, and kept...
( for ((b = 4; b < 40; b++)); do
	on "$owner" cibadmin --modify --xpath "//nvpair[@name='clupdate-lock-beat']" \
		--xml-text "<nvpair id=\"clupdate-lock-beat\" name=\"clupdate-lock-beat\" value=\"$b\"/>" \
		2>/dev/null || break
	sleep 0.5
done ) &
beater=$!
rc=0; apply "$manifest" --state-dir "$WORK/state-d" --break-lock=3 >/dev/null 2>"$WORK/d.err" || rc=$?
kill "$beater" 2>/dev/null || true; wait "$beater" 2>/dev/null || true   # (it may have ended by itself)
[[ $rc == 10 ]] || fail "--break-lock on a live holder: exit $rc, expected 10: $(cat "$WORK/d.err")"
grep -q "host 'elsewhere'.*and it is alive" "$WORK/d.err" || fail "refusal: $(cat "$WORK/d.err")"
on "$owner" cibadmin --query --xpath "//nvpair[@value='r9-p4242-planted']" >/dev/null ||
	fail "--break-lock removed a live holder's lock"
# ... one whose heartbeat stands still for the watch is taken over.
apply "$manifest" --state-dir "$WORK/state-d" --break-lock=3 >"$WORK/d.json" 2>"$WORK/d.err" ||
	{ cat "$WORK/d.err" >&2; fail "--break-lock did not take over a stale lock"; }
jq -e '.run.events[] | select(.kind == "lock-broken")' "$WORK/d.json" >/dev/null ||
	fail "the journal does not say the lock was broken"
no_lock_left
set_trial 25
manifest=$(trial_manifest 25 0)
# A holder on this host whose process is gone: taken over at once.
sleep 0 & dead=$!; wait "$dead"
plant_lock "$host" "$dead"
apply "$manifest" --state-dir "$WORK/state-d" >"$WORK/d.json" 2>"$WORK/d.err" ||
	{ cat "$WORK/d.err" >&2; fail "the lock of a dead holder on this host was not taken over"; }
no_lock_left

# --- 4. SIGPIPE and SIGHUP -------------------------------------------------
set_trial 26
manifest=$(trial_manifest 26 0.5)
apply "$manifest" --state-dir "$WORK/state-e" 2>&1 | head -c40 >/dev/null
no_lock_left
[[ $(sqlite3 "$WORK/state-e/journal.db" "SELECT state FROM runs ORDER BY id DESC LIMIT 1") == succeeded ]] ||
	fail "apply | head -c40: the run did not finish ($(sqlite3 "$WORK/state-e/journal.db" "SELECT state, message FROM runs"))"

set_trial 27
manifest=$(trial_manifest 27 4)
# Not through apply(): the signal goes to clupdate itself, not to a subshell.
"$CLUPDATE" apply "$manifest" --cluster "lab:$LAB" --yes --state-dir "$WORK/state-f" \
	>"$WORK/f.json" 2>"$WORK/f.err" &
pid=$!
installing() {
	[[ $(sqlite3 "$WORK/state-f/journal.db" "SELECT count(*) FROM step_attempts
		WHERE action = 'install' AND state = 'running'" 2>/dev/null) == 1 ]]
}
wait_until 30 "the install step" installing
kill -HUP "$pid"
rc=0; wait "$pid" || rc=$?
[[ $rc == 11 ]] || fail "SIGHUP: exit $rc, expected 11 (interrupted): $(cat "$WORK/f.err")"
no_lock_left
sqlite3 "$WORK/state-f/journal.db" "SELECT state, message FROM runs" | grep -q '^failed|.*interrupted' ||
	fail "SIGHUP: the journal does not say interrupted: $(sqlite3 "$WORK/state-f/journal.db" "SELECT state, message FROM runs")"
