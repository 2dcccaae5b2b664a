# Issue 14, live progress on a terminal, on a real 3-node lab: the demo's
# sp2 applied in place under its SMTP probe's load, with clupdate in a
# tmux pane as an operator would run it. The pane is captured while the
# run goes on:
#  - the status area is there, one of it, redrawn in place: two captures
#    at different steps differ, and both show the step N/12 with its wave
#    and action, what the run waits for, elapsed and the predicted
#    remainder, and the smtp probe's state (up/down, outage so far,
#    messages acknowledged);
#  - at the end the area is gone, the summary is printed below the
#    finished steps, and the run is sp2 done in place with one outage and
#    no acknowledged message lost (assert_sp2_done).
source "$SRCDIR/tests/lib/lab.sh"
command -v tmux >/dev/null || fail "tmux is needed (apt-get install tmux)"
lab_start "t1600-$$" 3
sock=clupdate-t1600-$$
tm() { tmux -L "$sock" "$@"; }
trap 'rc=$?; tm kill-server 2>/dev/null || true; lab_stop $rc' EXIT
state=$WORK/state
owner=$(owner_of mail) || fail "mail is not running after lab up"
note "mail runs on $owner"

tm new-session -d -s apply -x 132 -y 45 \
	"'$CLUPDATE' apply '$SRCDIR/build/demo/sp2/sp2.conf' --cluster 'lab:$LAB' --state-dir '$state' \
	 --yes --output-as json >'$WORK/apply.json'; echo \$? >'$WORK/exit'; sleep 3600"
capture() { tm capture-pane -p -J -t apply; }
area() { capture | sed -n '/^-- step /,$p' | sed '/^$/d'; }

# Poll the pane for the whole run (every 0.1 s; the run's outcome ends it):
# keep the first area that shows a probe, then the first whose step differs.
first= second= waits=
for ((i = 0; i < 6000; i++)); do
	[[ -s $WORK/exit ]] && break
	now=$(area)
	if [[ $now == *" probe smtp (mail): "* ]]; then
		wait_line=$(sed -n 2p <<<"$now")
		[[ $wait_line == " waiting for"* && $waits != *"$wait_line"* ]] && waits+="$wait_line"$'\n'
		if [[ -z $first ]]; then
			first=$now
		elif [[ -z $second && $(head -1 <<<"$now") != "$(head -1 <<<"$first")" ]]; then
			second=$now
		fi
	fi
	sleep 0.1
done
[[ -s $WORK/exit ]] || fail "the run did not end: $(capture)"
[[ -n $first && -n $second ]] || fail "did not capture the area twice: first '$first' second '$second'"
note "first capture:"$'\n'"$first"
note "second capture:"$'\n'"$second"
note "waits seen:"$'\n'"$waits"
[[ $first != "$second" ]] || fail "the area did not change"
for a in "$first" "$second"; do
	grep -Eq "^-- step [0-9]+/12  wave [0-9]+  (pin|unpin|drain|undrain|install|verify) " <<<"$a" ||
		fail "no step line: $a"
	grep -Eq "^ elapsed [0-9.hms]+ \(this step [0-9.hms]+\)  predicted remaining ~[0-9.hms]+ \(" <<<"$a" ||
		fail "no elapsed/remaining: $a"
	grep -Eq "^ probe smtp \(mail\): (up|DOWN)  outage so far [0-9.]+s in [0-9]+ windows?  acknowledged [0-9]+$" <<<"$a" ||
		fail "no probe state: $a"
done
# Acknowledged messages only grow, and the smtp load was running.
ack() { sed -n 's/.*acknowledged \([0-9]*\)$/\1/p' <<<"$1"; }
(( $(ack "$second") >= $(ack "$first") && $(ack "$second") > 0 )) ||
	fail "acknowledged: $(ack "$first") then $(ack "$second")"
grep -Eq "^ waiting for the (installer|verify|cluster)" <<<"$waits" ||
	fail "never saw what the run waits for: $waits"

[[ $(cat "$WORK/exit") == 0 ]] || fail "apply failed: $(capture)"
capture >"$WORK/final.txt"
grep -q '^-- step ' "$WORK/final.txt" && fail "the area was left on the terminal: $(cat "$WORK/final.txt")"
grep -q "^clupdate: 12 of 12 steps done in .* (predicted .*)$" "$WORK/final.txt" ||
	fail "no summary: $(cat "$WORK/final.txt")"
grep -q "^clupdate: [1-9][0-9]* messages acknowledged to the probes, 0 lost$" "$WORK/final.txt" ||
	fail "probes' count: $(cat "$WORK/final.txt")"
assert_sp2_done "$WORK/apply.json" "$state" "$owner"
