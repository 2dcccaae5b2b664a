#!/bin/bash
# Several clients at once, as in the lab (a probe, a load generator, users):
# parallel smtp-send runs all get their messages acknowledged and stored
# while an idle session stays open and answered; 256 simultaneous
# connections are served, and one more is told 421 rather than left waiting.
source "$(dirname "$0")/lib.sh"

maild=$DEMO_DIR/maild-3
start_maild "$maild" "$WORK/store"

# An idle session held open across the load.
smtp_open "$PORT"
expect 220
chat "EHLO idle" 250

pids=()
for n in 1 2 3 4 5; do
	"$DEMO_DIR/smtp-send" 127.0.0.1 "$PORT" --count 40 >"ids.$n" 2>"err.$n" &
	pids+=($!)
	track_pid $!
done
# One more sending a session per message.
"$DEMO_DIR/smtp-send" 127.0.0.1 "$PORT" --count 20 --new-connection >ids.6 2>err.6 &
pids+=($!)
track_pid $!
for n in "${!pids[@]}"; do
	wait "${pids[n]}" || fail "smtp-send $((n + 1)) failed: $(cat "err.$((n + 1))")"
done
sort ids.* >sent
[[ $(wc -l <sent) == 220 ]] || fail "want 220 acknowledged ids, got $(wc -l <sent)"
[[ -z $(uniq -d sent) ]] || fail "duplicate ids: $(uniq -d sent)"
"$maild" --list-store "$WORK/store" >stored || fail "cannot list the store"
cmp sent stored || fail "stored ids differ from acknowledged ones"

chat "NOOP" 250
chat "QUIT" 221
smtp_close

# 260 connections at once: the first 256 are served, the rest told 421.
fds=()
for ((i = 0; i < 260; i++)); do
	exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
	fds+=("$fd")
	# In order, so that exactly the last four are over the limit.
	IFS= read -r -t 5 -u "$fd" line || fail "connection $i not greeted"
	if ((i < 256)); then
		[[ $line == 220* ]] || fail "greeting $i: '$line'"
	else
		[[ $line == 421* ]] || fail "connection $i over the limit got '$line'"
	fi
done
for fd in "${fds[@]:0:256}"; do
	printf 'QUIT\r\n' >&"$fd"
	IFS= read -r -t 5 -u "$fd" line || fail "no reply to QUIT on $fd"
	[[ $line == 221* ]] || fail "QUIT answered '$line'"
done
for fd in "${fds[@]}"; do
	exec {fd}>&-
done
id=$("$DEMO_DIR/smtp-send" 127.0.0.1 "$PORT") || fail "maild does not serve after the crowd left"
stop_pid "$PID"
