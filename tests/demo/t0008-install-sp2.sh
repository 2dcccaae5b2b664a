#!/bin/bash
# The sp2 installer, "Update.exe", on a node outside a cluster
# (MAIL_NO_ATTRIBUTE=1): on the owner it stops maild 1, installs maild 2,
# migrates the store, restarts the daemon as the agent had started it, and
# logs both instants; every message acknowledged before or during the
# update is still there. A second run changes nothing. On a passive node
# (no store mounted, no daemon) it only installs. An interrupted run (the
# daemon left stopped) is completed by the next one. verify prints 2.
source "$(dirname "$0")/lib.sh"

sp=$DEMO_DIR/sp2
export MAIL_NO_ATTRIBUTE=1 MAIL_PREFIX=$WORK/opt MAIL_STORE=$WORK/store MAIL_RUN=$WORK/run
export CLU_VERSION=2 CLU_MANIFEST_DIR=$sp CLU_NODE=node1 CLU_UPDATE=mail-sp2 CLU_RUN_ID=test
export CLU_GROUPS=mail
export OCF_RESKEY_binary=$MAIL_PREFIX/bin/maild OCF_RESKEY_store=$MAIL_STORE
export OCF_RESKEY_ip=127.0.0.1 OCF_RESKEY_port=$(random_port)
export OCF_RESKEY_pidfile=$MAIL_RUN/maild.pid OCF_RESKEY_log=$MAIL_RUN/maild.log
export HA_LOGFILE=$WORK/ha.log
port=$OCF_RESKEY_port

grep -q '^strategy = in-place$' "$sp/sp2.conf" && grep -q '^data-migration = yes$' "$sp/sp2.conf" ||
	fail "sp2.conf is not an in-place, migrating pack"

"$DEMO_DIR/setup-node" 1 >/dev/null || fail "setup-node 1"
ocf start
((OCF_RC == 0)) || fail "agent start: $OCF_OUT"
read -r old_pid <"$OCF_RESKEY_pidfile"
track_pid "$old_pid"
"$DEMO_DIR/smtp-send" 127.0.0.1 "$port" --count 25 >acked || fail "cannot send before the update"

# Load during the update: only acknowledged ids count.
"$DEMO_DIR/smtp-send" 127.0.0.1 "$port" --count 0 --keep-going --interval-ms 5 \
	--timeout-ms 2000 >>acked 2>load.err &
load=$!
track_pid "$load"
sleep 0.3

rc=0; "$sp/install" >out 2>err || rc=$?
((rc == 0)) || fail "install failed ($rc): $(cat out err)"
sleep 0.3
kill -TERM "$load"
wait "$load" || true

grep -Eq '^maild stopped at mono_ms=[0-9]+ real=[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$' out ||
	fail "no stop instant logged: $(cat out)"
grep -Eq '^maild started at mono_ms=[0-9]+ real=' out || fail "no start instant logged: $(cat out)"
stopped=$(sed -n 's/^maild stopped at mono_ms=\([0-9]*\) .*/\1/p' out)
started=$(sed -n 's/^maild started at mono_ms=\([0-9]*\) .*/\1/p' out)
((stopped <= started)) || fail "started ($started) before stopped ($stopped)"
note "outage by the installer's clock: $((started - stopped)) ms"
grep -q "migrated from format 1 to format 2" out || fail "no migration: $(cat out)"

[[ $(<"$MAIL_PREFIX/VERSION") == 2 && $("$MAIL_PREFIX/bin/maild" --version) == 2 ]] ||
	fail "maild 2 not installed"
[[ $(<"$MAIL_STORE/FORMAT") == 2 ]] || fail "store not migrated"
read -r new_pid <"$OCF_RESKEY_pidfile"
track_pid "$new_pid"
[[ $new_pid != "$old_pid" ]] && pid_alive "$new_pid" || fail "maild not restarted"
! pid_alive "$old_pid" || fail "maild 1 still runs"
[[ $(readlink "/proc/$new_pid/exe") == "$MAIL_PREFIX/bin/maild" ]] || fail "restarted from the wrong binary"
[[ ! -e $MAIL_RUN/maild.restart ]] || fail "maild.restart left behind"
ocf monitor
((OCF_RC == 0)) || fail "agent monitor after the update: exit $OCF_RC"
smtp_open "$port"
expect 220 "*maild 2"
chat "QUIT" 221
smtp_close

# No acknowledged message lost, before or during the update.
"$MAIL_PREFIX/bin/maild" --list-store "$MAIL_STORE" >stored || fail "cannot list the store"
sort acked >acked.sorted
missing=$(comm -23 acked.sorted stored)
[[ -z $missing ]] || fail "acknowledged but lost: $missing"
(($(wc -l <acked) > 25)) || fail "the load got nothing through: $(cat load.err)"

out=$("$sp/verify") || fail "verify failed: $out"
[[ $(head -1 <<<"$out") == 2 ]] || fail "verify printed '$out'"

# Idempotent: nothing stops, nothing changes.
cp -p "$MAIL_PREFIX/bin/maild" before.bin
rc=0; "$sp/install" >out2 2>err2 || rc=$?
((rc == 0)) || fail "second run failed ($rc): $(cat out2 err2)"
grep -q "nothing to do" out2 || fail "second run: $(cat out2)"
! grep -q "stopped at\|started at" out2 || fail "second run restarted maild"
read -r pid <"$OCF_RESKEY_pidfile"
[[ $pid == "$new_pid" ]] && pid_alive "$pid" || fail "second run touched the daemon"
[[ $MAIL_PREFIX/bin/maild -ot before.bin || ! $MAIL_PREFIX/bin/maild -nt before.bin ]] ||
	fail "second run replaced the binary"

# Interrupted after the stop: the next run restarts the daemon. Its output
# is a pipe, as under clupdate, with an extra descriptor on it: the daemon
# it restarts must keep neither, or the reader would never see the end.
ocf stop
cp "$MAIL_RUN/maild.params" "$MAIL_RUN/maild.restart"
rc=0; timeout 20 bash -c 'set -o pipefail; "$1" 5>&1 | cat' _ "$sp/install" >out3 2>err3 || rc=$?
read -r pid <"$OCF_RESKEY_pidfile" && track_pid "$pid"
((rc != 124)) || fail "the restarted daemon holds the installer's output open"
((rc == 0)) || fail "resume run failed ($rc): $(cat out3 err3)"
grep -q "^maild started at mono_ms=" out3 || fail "resume did not restart maild: $(cat out3)"
ocf monitor
((OCF_RC == 0)) || fail "maild not running after the resumed run"
ocf stop

# A passive node: no store mounted here, no daemon: install only.
export MAIL_PREFIX=$WORK/opt-passive MAIL_STORE=$WORK/passive-store MAIL_RUN=$WORK/run-passive
"$DEMO_DIR/setup-node" 1 >/dev/null
mkdir "$MAIL_STORE"
rc=0; "$sp/install" >out4 2>err4 || rc=$?
((rc == 0)) || fail "passive install failed ($rc): $(cat out4 err4)"
! grep -q "stopped at\|started at\|migrat" out4 || fail "passive install did too much: $(cat out4)"
[[ $(<"$MAIL_PREFIX/VERSION") == 2 && -z $(ls -A "$MAIL_STORE") ]] || fail "passive node state"

# A newer node is left alone, with an error.
"$DEMO_DIR/setup-node" 3 >/dev/null
rc=0; "$sp/install" >out5 2>err5 || rc=$?
((rc == 1)) && grep -q "newer than this service pack" err5 || fail "sp2 over maild 3: exit $rc, $(cat err5)"
[[ $(<"$MAIL_PREFIX/VERSION") == 3 ]] || fail "sp2 downgraded a node"

# clupdate asking for another version is refused.
rc=0; CLU_VERSION=3 "$sp/install" >out6 2>err6 || rc=$?
((rc == 1)) && grep -q "asked for version '3'" err6 || fail "CLU_VERSION mismatch: exit $rc"
