# Issue 12: SIGKILL at random instants, then `clupdate resume`, on one real
# 3-node lab, under the SMTP probe's load. TRIALS (default 10) trials per
# strategy: sp2 in place (from version 1: it migrates the store) and sp3
# rolling (from version 2, where each sp2 trial leaves the lab). In each,
# `clupdate apply` is SIGKILLed at a seeded random instant, `clupdate
# resume` finishes the update, and the end state is checked:
#  - every node at the target version (its maild and its attribute);
#  - nothing of clupdate's left in the CIB: no constraint, no is-managed,
#    no standby, no lock;
#  - the group never ran on a node older than its data: in every state
#    snapshot the journal took in both runs (the owner's version against
#    the group's data version), and in a crm_mon sampler that watched the
#    whole trial from outside (tests/lib/guard-sampler.sh);
#  - no acknowledged message lost: the resume's own probe (its report),
#    and every id the killed run's probe journalled before it died, given
#    to the demo's check-delivered on the group's owner.
#
# The instant: each trial aims at a phase of the run (before the first
# step, a step's action, or after the last step): the first trials of a
# strategy aim at each phase in turn until a kill landed in it (up to 4
# times), the rest at phases drawn at random; in the phase, a step of
# that action drawn at random, and a delay drawn at random over the first
# half of the span that phase took in the earlier trials' runs (from their
# journals; 1 s before any was seen), counted from the instant the journal
# shows the step begun (a poll sees it late, and a phase may be shorter
# this time). Where the kill landed is read from the
# journal (the last step the killed run began, running or done) and
# printed; every phase must have been hit by the end. A trial whose run
# ended before the kill came is not counted (it is said, and another is
# run). SEED (printed) replays the same draws: SEED=N bash t2000-...
#
# Lab resets between trials: `clupdate lab reset --version 1` (or 2).
source "$SRCDIR/tests/lib/lab.sh"
source "$SRCDIR/tests/lib/guard-sampler.sh"
TRIALS=${TRIALS:-10}
SEED=${SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
RANDOM=$SEED
note "seed $SEED (replay with SEED=$SEED), $TRIALS trials per strategy"
DEMO=$SRCDIR/build/demo
lab_start "t2000-$$" 3
trap 'sk_rc=$?; guard_sampler_stop || true; lab_stop "$sk_rc"' EXIT

# rand N: R = a draw in [0, N), from the seeded sequence (never in a
# subshell: the draws would not advance the sequence, nor replay).
rand() { R=$(((RANDOM * 32768 + RANDOM) % $1)); }

declare -A span_ms seen_ms seen_n hits aimed
declare -A manifest=([sp2]=$DEMO/sp2/sp2.conf [sp3]=$DEMO/sp3/sp3.conf)
declare -A strategy=([sp2]=in-place [sp3]=rolling)
declare -A from=([sp2]=1 [sp3]=2) target=([sp2]=2 [sp3]=3)
declare -A phases counted
counted=([sp2]=0 [sp3]=0)
total_trials=0 missed=0

# The phases of SP's plan from the lab's state now: start, its actions in
# plan order (each once), finish. A ban that goes with a move is no phase
# of its own: the executor applies it with the move, as one switchover (its
# step is journalled done as it begins), so a kill in it is a kill in the
# move.
phases_of() {
	"$CLUPDATE" plan "${manifest[$1]}" --strategy "${strategy[$1]}" --cluster "lab:$LAB" \
		--output-as json >"$WORK/plan-$1.json" || fail "cannot plan $1"
	echo "start $(jq -r '.plan.steps as $s | [range(0; $s | length) as $i | $s[$i]
		| select(.action != "ban" or $s[$i + 1].action != "move" or $s[$i + 1].group != .group)
		| .action] | reduce .[] as $a ([]; if index([$a]) then . else . + [$a] end) | join(" ")' \
		"$WORK/plan-$1.json") finish"
}

# learn SP DB RUN: the spans of the phases in a run of the journal DB; the
# time before the first step only from an apply's run (1), not resume's.
learn() {
	local sp=$1 db=$2 run=$3 phase ms
	while IFS='|' read -r phase ms; do
		[[ -n $phase && -n $ms ]] || continue
		seen_ms[$sp:$phase]=$((${seen_ms[$sp:$phase]:-0} + ms))
		seen_n[$sp:$phase]=$((${seen_n[$sp:$phase]:-0} + 1))
		span_ms[$sp:$phase]=$((seen_ms[$sp:$phase] / seen_n[$sp:$phase]))
	done < <(sqlite3 "$db" "
		SELECT action, ended_mono_ms - started_mono_ms FROM step_attempts
			WHERE run_id = $run AND state = 'done'
		UNION ALL SELECT 'start', min(s.started_mono_ms) - r.started_mono_ms
			FROM step_attempts s JOIN runs r ON r.id = s.run_id WHERE r.id = $run AND $run = 1
		UNION ALL SELECT 'finish', r.ended_mono_ms - max(s.ended_mono_ms)
			FROM step_attempts s JOIN runs r ON r.id = s.run_id
			WHERE r.id = $run AND r.ended_mono_ms IS NOT NULL")
}

# AIM = the condition (a journal query giving 1) from which the delay
# counts, for a kill aimed at PHASE: the run is in the journal (start); the
# last step is done (finish); a step of that action, drawn, began.
aim() {
	local sp=$1 phase=$2 steps k
	case $phase in
	start) AIM="SELECT count(*) > 0 FROM runs" ;;
	finish) k=$(jq '.plan.steps | length' "$WORK/plan-$sp.json")
		AIM="SELECT count(*) > 0 FROM step_attempts WHERE step = $k AND state = 'done'" ;;
	*) read -ra steps < <(jq -r --arg a "$phase" '[.plan.steps[] | select(.action == $a) | .index] | join(" ")' \
			"$WORK/plan-$sp.json")
		rand ${#steps[@]}
		k=${steps[$R]}
		AIM="SELECT count(*) > 0 FROM step_attempts WHERE step = $k" ;;
	esac
}

# Where the kill of the run in DB landed: "PHASE WORDS...", PHASE being
# start, an action or finish; the words say it for people.
landed() {
	local db=$1 n step action state
	n=$(sqlite3 "$db" "SELECT n_planned FROM runs WHERE id = 1")
	IFS='|' read -r step action state < <(sqlite3 "$db" "SELECT step, action, state
		FROM step_attempts WHERE run_id = 1 ORDER BY id DESC LIMIT 1")
	if [[ -z $step ]]; then
		echo "start before its first step"
	elif [[ $state == done && $step == "$n" ]]; then
		echo "finish after its last step (step $step $action done)"
	elif [[ $state == running ]]; then
		echo "$action during step $step ($action)"
	else
		echo "$action just after step $step ($action $state)"
	fi
}

# The journal's snapshots of run RUN in DB: the group's owner never older
# than its data.
assert_snapshots_guarded() {
	local db=$1 run=$2 bad
	bad=$(sqlite3 "$db" "SELECT step || ' ' || phase || ' ' || cluster_json FROM snapshots WHERE run_id = $run" |
		while read -r step phase json; do
			jq -r --arg at "$step $phase" '. as $c | .groups[] | select(.name == "mail" and .owner != null) as $g
				| $c.nodes[] | select(.name == $g.owner and .version != null and $g["data-version"] != null
					and (.version | tonumber) < ($g["data-version"] | tonumber))
				| "run snapshot \($at) mail on \(.name) at \(.version), data at \($g["data-version"])"' <<<"$json"
		done)
	[[ -z $bad ]] || fail "the version guard broke (journal snapshots): $bad"
	sqlite3 "$db" "SELECT count(*) FROM snapshots WHERE run_id = $run"
}

# The ids the killed run's probe journalled, checked in the store by the
# demo's check-delivered on the owner: prints how many; fails on a lost one.
assert_killed_run_delivered() {
	local db=$1 sp=$2 owner lost
	sqlite3 "$db" "SELECT detail FROM events WHERE run_id = 1 AND kind = 'probe-acknowledged'" |
		tr ' ' '\n' | sed '/^$/d' >"$WORK/killed-acks"
	owner=$(owner_of mail) || fail "mail runs nowhere"
	lost=$(on "$owner" "$DEMO/$sp/check-delivered" <"$WORK/killed-acks") ||
		fail "check-delivered could not look at the store on $owner"
	[[ -z $lost ]] || fail "messages acknowledged to the killed run's probe are lost: $lost"
	wc -l <"$WORK/killed-acks"
}

# trial SP PHASE: one kill aimed at PHASE of SP, then resume and the checks.
# Returns 1 (not counted) when the run ended before the kill came.
trial() {
	local sp=$1 phase=$2 dir state db delay pid hit where rc s1 s2 acks breaches resumed nap give_up
	total_trials=$((total_trials + 1))
	dir=$WORK/trial-$total_trials
	state=$dir/state
	db=$state/journal.db
	mkdir -p "$dir"
	aim "$sp" "$phase"
	# Over the first half of the span: the condition is seen late (a poll),
	# and a phase may be shorter this time.
	rand $((${span_ms[$sp:$phase]:-1000} / 2 + 1))
	delay=$R
	guard_sampler_start "$dir/sampler"
	"$CLUPDATE" apply "${manifest[$sp]}" --strategy "${strategy[$sp]}" --cluster "lab:$LAB" \
		--state-dir "$state" --yes --output-as json >"$dir/killed.json" 2>"$dir/killed.err" &
	pid=$!
	# A phase shorter than a second (a clear, a finish) is watched closer:
	# seen 50 ms late, most kills aimed at it would land after it.
	nap=0.05
	((${span_ms[$sp:$phase]:-1000} >= 1000)) || nap=0.01
	hit=0
	give_up=$((SECONDS + 300))
	while ((SECONDS < give_up)) && [[ $hit != 1 ]]; do
		hit=$(sqlite3 "$db" "$AIM" 2>/dev/null || echo 0)
		[[ $hit == 1 ]] || { kill -0 "$pid" 2>/dev/null || break; sleep "$nap"; }
	done
	[[ $hit == 1 ]] && sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null && rc=0 || rc=$?
	if ((rc != 128 + 9)); then
		guard_sampler_stop
		note "$sp trial aimed at $phase: the run ended (exit $rc) before the kill came: not counted"
		[[ $rc == 0 ]] || { cat "$dir/killed.err" >&2; fail "$sp: the run to be killed failed (exit $rc)"; }
		missed=$((missed + 1))
		return 1
	fi
	where=$(landed "$db")
	hits[$sp:${where%% *}]=$((${hits[$sp:${where%% *}]:-0} + 1))

	if [[ $(sqlite3 "$db" "SELECT state FROM runs WHERE id = 1") == succeeded ]]; then
		# Killed once its run had ended: nothing to resume, and resume says so.
		where="finish after its run ended (succeeded)"
		"$CLUPDATE" resume --state-dir "$state" --yes >/dev/null 2>"$dir/resume.err" && rc=0 || rc=$?
		[[ $rc == 2 ]] || fail "resume of a run that had succeeded: exit $rc: $(cat "$dir/resume.err")"
		"$CLUPDATE" report 1 --state-dir "$state" --output-as json >"$dir/resume.json"
		resumed=0
	else
		"$CLUPDATE" resume --state-dir "$state" --yes --output-as json >"$dir/resume.json" 2>"$dir/resume.err" ||
			{ cat "$dir/resume.err" >&2; fail "$sp, killed in $where (delay $delay ms): resume failed"; }
		[[ $(jq -r .run.state "$dir/resume.json") == succeeded ]] || fail "resume: $(jq -c .run "$dir/resume.json")"
		resumed=$(jq '.run.steps | length' "$dir/resume.json")
	fi
	guard_sampler_stop
	assert_clean "${target[$sp]}"
	s1=$(assert_snapshots_guarded "$db" 1)
	s2=$(assert_snapshots_guarded "$db" 2)
	breaches=$(guard_breaches "$dir/sampler")
	[[ -z $breaches ]] || fail "$sp, killed in $where: mail ran on a node older than its data: $breaches"
	[[ $(jq '.report.lost' "$dir/resume.json") == 0 ]] || fail "resume: lost messages (or not checked)"
	acks=$(assert_killed_run_delivered "$db" "$sp")
	((acks + $(jq '.report.acknowledged' "$dir/resume.json") > 0)) || fail "no message acknowledged in the trial"
	learn "$sp" "$db" 1
	learn "$sp" "$db" 2
	note "$sp trial $((counted[$sp] + 1)): aimed at $phase (+$delay ms), killed in $where;" \
		"resumed: $resumed steps;" \
		"acknowledged $acks (killed run) + $(jq '.report.acknowledged' "$dir/resume.json") (resume), 0 lost;" \
		"guard kept in $((s1 + s2)) snapshots and $(guard_samples "$dir/sampler") samples"
	counted[$sp]=$((counted[$sp] + 1))
	rm -rf "$dir"
}

# next_phase SP: PHASE = the first phase no kill has landed in yet (aimed
# at up to 4 times), else one drawn at random.
next_phase() {
	local p
	for p in ${phases[$1]}; do
		if ((${hits[$1:$p]:-0} == 0 && ${aimed[$1:$p]:-0} < 4)); then
			PHASE=$p
			aimed[$1:$p]=$((${aimed[$1:$p]:-0} + 1))
			return
		fi
	done
	read -ra p <<<"${phases[$1]}"
	rand ${#p[@]}
	PHASE=${p[$R]}
}

# Whether SP still needs trials: fewer than TRIALS, or a phase not hit.
wanted() {
	local p
	((counted[$1] < TRIALS)) && return 0
	for p in ${phases[$1]:-start}; do
		((${hits[$1:$p]:-0} > 0 || ${aimed[$1:$p]:-0} >= 4)) || return 0
	done
	return 1
}

reset_to() {
	"$CLUPDATE" lab reset --name "$LAB" --version "$1" >"$WORK/reset.log" 2>&1 ||
		{ cat "$WORK/reset.log" >&2; fail "lab reset --version $1 failed"; }
}

t0=$SECONDS
phases[sp2]=$(phases_of sp2)
while wanted sp2 || wanted sp3; do
	((total_trials < 4 * TRIALS)) || fail "too many trials: $total_trials ($missed not counted)"
	if wanted sp2; then
		reset_to 1
		next_phase sp2
		trial sp2 "$PHASE" || continue
	else
		reset_to 2
	fi
	[[ -n ${phases[sp3]:-} ]] || phases[sp3]=$(phases_of sp3)
	wanted sp3 || continue
	next_phase sp3
	trial sp3 "$PHASE" || true
done

# Every phase of each strategy was hit by a kill.
summary=
for sp in sp2 sp3; do
	for p in ${phases[$sp]}; do
		((${hits[$sp:$p]:-0} > 0)) || fail "$sp: no kill landed in its phase '$p' (seed $SEED)"
		summary+=" $sp:$p=${hits[$sp:$p]}"
	done
done
note "$((counted[sp2] + counted[sp3])) trials ($missed more not counted: the run ended first)," \
	"$(wc -w <<<"${phases[sp2]} ${phases[sp3]}") phases, every one hit:$summary;" \
	"seed $SEED; $((SECONDS - t0)) s"
