#!/bin/bash
# The OCF resource agent ocf:clupdate:maild, run standalone as Pacemaker
# would (OCF_ROOT, OCF_RESKEY_*): meta-data, validate-all, start, monitor
# (both depths), stop, each twice where OCF demands idempotence; the
# parameters it records for the installers; a fast stop; a stale pidfile;
# and an old maild on an upgraded store failing with OCF_ERR_INSTALLED.
source "$(dirname "$0")/lib.sh"

[[ -r $OCF_ROOT/lib/heartbeat/ocf-shellfuncs ]] || fail "resource-agents is not installed"
export OCF_RESKEY_binary=$WORK/opt/bin/maild
export OCF_RESKEY_store=$WORK/store
export OCF_RESKEY_ip=127.0.0.1
export OCF_RESKEY_port=$(random_port)
export OCF_RESKEY_pidfile=$WORK/run/maild.pid
export OCF_RESKEY_log=$WORK/run/maild.log
export HA_LOGFILE=$WORK/ha.log HA_DEBUG=0

ocf meta-data
((OCF_RC == 0)) || fail "meta-data: exit $OCF_RC"
printf '%s\n' "$OCF_OUT" >meta.xml
if command -v xmllint >/dev/null; then
	xmllint --noout meta.xml || fail "meta-data is not well-formed XML"
fi
for p in binary store ip port pidfile log; do
	grep -q "<parameter name=\"$p\"" meta.xml || fail "meta-data lacks parameter $p"
done
for a in start stop monitor meta-data validate-all; do
	grep -q "<action name=\"$a\"" meta.xml || fail "meta-data lacks action $a"
done
grep -q 'default="/opt/clupdate-mail/bin/maild"' meta.xml || fail "binary default"
grep -q '<version>1.1</version>' meta.xml || fail "not OCF 1.1"

# Not installed yet: validate says so, a probe says "not running".
ocf validate-all
((OCF_RC == OCF_ERR_INSTALLED)) || fail "validate-all without binary: exit $OCF_RC"
OCF_RESKEY_CRM_meta_interval=0 ocf monitor
((OCF_RC == OCF_NOT_RUNNING)) || fail "probe without binary: exit $OCF_RC"

MAIL_PREFIX=$WORK/opt "$DEMO_DIR/setup-node" 1 >/dev/null || fail "setup-node 1"
ocf validate-all
((OCF_RC == 0)) || fail "validate-all: exit $OCF_RC: $OCF_OUT"
OCF_RESKEY_port=99999 ocf validate-all
((OCF_RC == OCF_ERR_CONFIGURED)) || fail "port 99999: exit $OCF_RC"
OCF_RESKEY_store=relative ocf validate-all
((OCF_RC == OCF_ERR_CONFIGURED)) || fail "relative store: exit $OCF_RC"
OCF_RESKEY_ip="1.2.3.4; rm" ocf validate-all
((OCF_RC == OCF_ERR_CONFIGURED)) || fail "bad ip: exit $OCF_RC"

ocf monitor
((OCF_RC == OCF_NOT_RUNNING)) || fail "monitor before start: exit $OCF_RC"
ocf stop
((OCF_RC == 0)) || fail "stop when stopped: exit $OCF_RC"

ocf start
((OCF_RC == 0)) || fail "start: exit $OCF_RC: $OCF_OUT"
read -r pid <"$OCF_RESKEY_pidfile"
track_pid "$pid"
ocf monitor
((OCF_RC == 0)) || fail "monitor: exit $OCF_RC: $OCF_OUT"
OCF_CHECK_LEVEL=10 ocf monitor
((OCF_RC == 0)) || fail "monitor depth 10: exit $OCF_RC: $OCF_OUT"
ocf start
((OCF_RC == 0)) || fail "second start: exit $OCF_RC"
read -r again <"$OCF_RESKEY_pidfile"
[[ $again == "$pid" ]] || fail "second start started another daemon"
id=$("$DEMO_DIR/smtp-send" 127.0.0.1 "$OCF_RESKEY_port") || fail "the started maild does not take mail"

# What the installers need to restart it the same way.
cat >want <<EOT
binary=$OCF_RESKEY_binary
store=$OCF_RESKEY_store
ip=127.0.0.1
port=$OCF_RESKEY_port
pidfile=$OCF_RESKEY_pidfile
log=$OCF_RESKEY_log
EOT
diff want "$WORK/run/maild.params" || fail "maild.params differs"

# Stop: fast, and idempotent.
t0=$(date +%s%N)
ocf stop
t1=$(date +%s%N)
((OCF_RC == 0)) || fail "stop: exit $OCF_RC: $OCF_OUT"
! pid_alive "$pid" || fail "maild still runs after stop"
(((t1 - t0) / 1000000 < 1000)) || fail "stop took $(((t1 - t0) / 1000000)) ms"
ocf stop
((OCF_RC == 0)) || fail "second stop: exit $OCF_RC"
ocf monitor
((OCF_RC == OCF_NOT_RUNNING)) || fail "monitor after stop: exit $OCF_RC"
[[ $("$DEMO_DIR/maild-1" --list-store "$WORK/store") == "$id" ]] || fail "message lost"

# A pidfile naming a live process that is not maild is stale.
sleep 30 &
sleeper=$!
track_pid "$sleeper"
echo "$sleeper" >"$OCF_RESKEY_pidfile"
ocf monitor
((OCF_RC == OCF_NOT_RUNNING)) || fail "monitor with a foreign pid: exit $OCF_RC"
ocf stop
((OCF_RC == 0)) || fail "stop with a foreign pid: exit $OCF_RC"
pid_alive "$sleeper" || fail "stop killed a process that was not maild"
kill "$sleeper"

# A dead daemon is noticed by the SMTP check of depth 10 only if the
# process lives on; a kill -9 is caught by the cheap one.
ocf start
read -r pid <"$OCF_RESKEY_pidfile"
track_pid "$pid"
kill -STOP "$pid"
OCF_CHECK_LEVEL=10 ocf monitor
((OCF_RC == OCF_ERR_GENERIC)) || fail "depth 10 monitor of a hung maild: exit $OCF_RC"
kill -KILL "$pid"
wait_gone "$pid" || fail "maild survived SIGKILL"
ocf monitor
((OCF_RC == OCF_NOT_RUNNING)) || fail "monitor after kill -9: exit $OCF_RC"

# The old binary on upgraded data: OCF_ERR_INSTALLED, with the reason.
"$DEMO_DIR/maild-2" --migrate-store "$WORK/store" >/dev/null || fail "migration"
ocf start
((OCF_RC == OCF_ERR_INSTALLED)) || fail "maild 1 on a format-2 store: exit $OCF_RC"
[[ $OCF_OUT == *"ocf-exit-reason:"*"has format 2, but this maild reads only format 1"* ]] ||
	fail "no exit reason: $OCF_OUT"
ocf monitor
((OCF_RC == OCF_NOT_RUNNING)) || fail "monitor after a refused start: exit $OCF_RC"

# resource-agents' own conformance checker, when it is installed.
if command -v ocf-tester >/dev/null; then
	rm -rf "$WORK/store"
	OCF_RESKEY_port=$(random_port)
	ocf-tester -n maild-test -o binary="$OCF_RESKEY_binary" -o store="$OCF_RESKEY_store" \
		-o ip=127.0.0.1 -o port="$OCF_RESKEY_port" -o pidfile="$OCF_RESKEY_pidfile" \
		-o log="$OCF_RESKEY_log" "$AGENT" >tester.out 2>&1 || {
		ocf stop    # whatever it left running
		fail "ocf-tester: $(cat tester.out)"
	}
	grep -q "passed all tests" tester.out || fail "ocf-tester: $(cat tester.out)"
else
	note "ocf-tester not installed: conformance not checked"
fi
