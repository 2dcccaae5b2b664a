# Live progress on a terminal, as a person sees it: `clupdate apply` on a
# simulated cluster whose node commands also take real time ([sim]
# real-command-ms), in a tmux pane. The status area is captured twice
# while the run goes on: both show the step N/M with its wave and action,
# what the run waits for, the elapsed time and the predicted remainder,
# and the second differs from the first (it is redrawn in place, not
# appended: one area in the pane). In a narrow pane no line of the area is
# longer than the pane (cut, never wrapped). At the end the area is gone
# and the summary is printed below the finished steps. Without a terminal,
# and with --verbose on one, progress is the plain log lines.
source "$SRCDIR/tests/lib/cli.sh"
command -v tmux >/dev/null || fail "tmux is needed (apt-get install tmux)"

sock=clupdate-t0480-$$
tm() { tmux -L "$sock" "$@"; }
trap 'tm kill-server 2>/dev/null' EXIT

mkdir sim && cp "$SRCDIR/demo/sim/lab.ini" sim/
sed -i 's/^command-ms = \(.*\)/command-ms = \1\nreal-command-ms = 500/' sim/lab.ini
grep -q "^real-command-ms = 500" sim/lab.ini || fail "cannot slow the simulation down"

# run WIDTH STATE-DIR [OPTIONS]: apply in a new pane; its stdout in out-STATE-DIR.txt.
run() {
	local width=$1 state=$2; shift 2
	rm -f sim/lab.ini.state sim/lab.ini.state.log
	tm new-session -d -s "$state" -x "$width" -y 40 \
		"cd '$PWD' && '$CLUPDATE' apply '$SRCDIR/demo/sp2/sp2.conf' --cluster sim:sim/lab.ini \
		 --state-dir '$state' --yes $* >'out-$state.txt'; echo \$? >'exit-$state'; sleep 600"
}
capture() { tm capture-pane -p -J -t "$1"; }
area() { capture "$1" | sed -n '/^-- step /,$p' | sed '/^$/d'; }
# wait_for WHAT CMD...: poll until CMD succeeds (300 x 0.1 s: the outcome is checked, not the time)
wait_for() {
	local what=$1; shift
	for _ in $(seq 300); do "$@" && return 0; sleep 0.1; done
	fail "never saw $what; pane: $(capture main)"
}
has_area() { [[ -n $(area "$1") ]]; }
area_moved() { [[ -n $(area main) && $(area main | head -1) != "$(head -1 first.txt)" ]]; }

run 120 main
wait_for "the status area" has_area main
area main >first.txt
wait_for "the status area move on" area_moved
area main >second.txt
for f in first.txt second.txt; do
	grep -Eq "^-- step [0-9]+/12  wave [0-9]+  (pin|unpin|drain|undrain|install|verify) " $f ||
		fail "$f: no step line: $(cat $f)"
	grep -Eq "^ elapsed [0-9.]+s \(this step [0-9.]+s\)  predicted remaining ~[0-9.]+s \(manifest's estimate\)$" $f ||
		fail "$f: no elapsed/remaining: $(cat $f)"
	(( $(wc -l <$f) == 3 )) || fail "$f: not one area of 3 lines: $(cat $f)"
	(( $(capture main | grep -c '^-- step ') == 1 )) || fail "more than one area: $(capture main)"
done
# What it waits for: nearly all of this run is spent in node commands.
cat first.txt second.txt | grep -Eq "^ waiting for the (installer|verify) on 'n[123]'$" ||
	fail "no wait shown: $(cat first.txt second.txt)"
cmp -s first.txt second.txt && fail "the area did not change: $(cat first.txt)"
echo "first capture:"; cat first.txt; echo "second capture:"; cat second.txt

wait_for "the run end" test -s exit-main
[[ $(cat exit-main) == 0 ]] || fail "apply failed: $(capture main)"
capture main >final.txt
grep -q '^-- step ' final.txt && fail "the area was left on the terminal: $(cat final.txt)"
grep -q "^clupdate: 12 of 12 steps done in [0-9.]*s (predicted [0-9.]*s)$" final.txt ||
	fail "no summary: $(cat final.txt)"
grep -q "^\[12/12\] undrain 'n3': done in" final.txt || fail "no finished steps: $(cat final.txt)"
# The summary comes after the last finished step, the terminal left clean.
[[ $(grep -n . final.txt | grep -m1 "steps done in" | cut -d: -f1) -gt \
   $(grep -n "^\[12/12\]" final.txt | cut -d: -f1) ]] || fail "summary not below: $(cat final.txt)"
grep -q "Report of run 1" out-main.txt || fail "no report on stdout: $(cat out-main.txt)"

# A narrow pane: the area's lines are cut to it, not wrapped.
run 44 narrow
wait_for "the narrow area" has_area narrow
area narrow >narrow.txt
awk 'length($0) > 43 { bad = 1 } END { exit bad }' narrow.txt ||
	fail "a line of the area is longer than the pane: $(cat narrow.txt)"
wait_for "the narrow run end" test -s exit-narrow

# --verbose on a terminal: log lines, no area.
run 120 verbose --verbose
wait_for "the verbose run end" test -s exit-verbose
capture verbose >verbose.txt
grep -q '^-- step ' verbose.txt && fail "--verbose drew an area: $(cat verbose.txt)"
grep -q "^clupdate: step 2/12 install n1 done attempt=1" verbose.txt ||
	fail "--verbose: no log lines: $(cat verbose.txt)"

# Not a terminal: the log lines as before.
rm -f sim/lab.ini.state sim/lab.ini.state.log
"$CLUPDATE" apply "$SRCDIR/demo/sp2/sp2.conf" --cluster sim:sim/lab.ini --state-dir plain --yes \
	>plain-out.txt 2>plain-err.txt || fail "plain apply: $(cat plain-err.txt)"
grep -q $'\e' plain-err.txt && fail "escape sequences without a terminal"
grep -q "^clupdate: step 12/12 undrain n3 done attempt=1" plain-err.txt ||
	fail "plain: $(cat plain-err.txt)"
exit 0
