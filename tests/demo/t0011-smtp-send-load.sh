#!/bin/bash
# smtp-send as a load generator through a restart of the daemon: with
# --keep-going it rides out the outage, and every id it printed (the
# acknowledged messages) is in the store; failures are counted on stderr.
# Without --keep-going the first failure ends it with status 1.
source "$(dirname "$0")/lib.sh"

maild=$DEMO_DIR/maild-2
start_maild "$maild" "$WORK/store"
port=$PORT
"$DEMO_DIR/smtp-send" 127.0.0.1 "$port" --count 0 --keep-going --interval-ms 2 \
	--timeout-ms 1000 >acked 2>load.err &
load=$!
track_pid "$load"
sleep 0.3
stop_pid "$PID"
sleep 0.2
out=$("$maild" --listen "127.0.0.1:$port" --store "$WORK/store" --pidfile "$WORK/again.pid" 2>&1) ||
	fail "restart on the same port: $out"
read -r pid <"$WORK/again.pid"
track_pid "$pid"
sleep 0.3
kill -TERM "$load"
wait "$load" || true
grep -Eq '^smtp-send: [0-9]+ acknowledged, [1-9][0-9]* failed$' load.err ||
	fail "no failures counted during the outage: $(tail -3 load.err)"
(($(wc -l <acked) > 10)) || fail "too few messages acknowledged: $(wc -l <acked)"
sort acked | comm -23 - <("$maild" --list-store "$WORK/store") >lost
[[ ! -s lost ]] || fail "acknowledged but lost: $(cat lost)"
stop_pid "$pid"

rc=0; "$DEMO_DIR/smtp-send" 127.0.0.1 "$port" --count 3 >out 2>err || rc=$?
((rc == 1)) && [[ ! -s out ]] && grep -q "cannot connect to 127.0.0.1 port $port" err ||
	fail "smtp-send to a stopped server: exit $rc, $(cat err)"
