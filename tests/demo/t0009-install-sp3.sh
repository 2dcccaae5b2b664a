#!/bin/bash
# The sp3 installer: maild 2 -> 3 on a format-2 store, without migration;
# a daemon started by hand (no maild.params) is restarted with the same
# command line; idempotent; verify prints 3 and notices a daemon still
# running a replaced binary, which a re-run then restarts. On a store
# still at format 1 it refuses before touching anything.
source "$(dirname "$0")/lib.sh"

sp=$DEMO_DIR/sp3
export MAIL_NO_ATTRIBUTE=1 MAIL_PREFIX=$WORK/opt MAIL_STORE=$WORK/store MAIL_RUN=$WORK/run
export CLU_VERSION=3 CLU_MANIFEST_DIR=$sp

grep -q '^takeover-compatible = yes$' "$sp/sp3.conf" && grep -q '^data-migration = no$' "$sp/sp3.conf" ||
	fail "sp3.conf is not a takeover-compatible pack"

# by_hand BIN: start maild the way a person would, pidfile in MAIL_RUN.
by_hand() {
	local out
	for ((attempt = 0; attempt < 30; attempt++)); do
		port=$(random_port)
		out=$("$1" --listen "127.0.0.1:$port" --store "$MAIL_STORE" \
			--pidfile "$MAIL_RUN/maild.pid" --log "$WORK/maild.log" 2>&1) && break
		[[ $out == *"in use"* ]] || fail "maild did not start: $out"
	done
	read -r pid <"$MAIL_RUN/maild.pid"
	track_pid "$pid"
}

mkdir -p "$MAIL_RUN"
"$DEMO_DIR/setup-node" 2 >/dev/null || fail "setup-node 2"
by_hand "$MAIL_PREFIX/bin/maild"
old_pid=$pid
"$DEMO_DIR/smtp-send" 127.0.0.1 "$port" --count 10 >acked || fail "cannot send"

# verify sees a daemon running a binary that was replaced under it.
"$DEMO_DIR/setup-node" 3 >/dev/null
rc=0; "$sp/verify" >vout 2>verr || rc=$?
((rc == 1)) && grep -q "still runs a binary that has since been replaced" verr ||
	fail "verify missed the stale daemon: exit $rc, $(cat vout verr)"
"$DEMO_DIR/setup-node" 2 >/dev/null

rc=0; "$sp/install" >out 2>err || rc=$?
((rc == 0)) || fail "install failed ($rc): $(cat out err)"
grep -q "^maild stopped at mono_ms=" out && grep -q "^maild started at mono_ms=" out ||
	fail "instants not logged: $(cat out)"
! grep -qi "migrat" out || fail "sp3 migrated: $(cat out)"
read -r new_pid <"$MAIL_RUN/maild.pid"
track_pid "$new_pid"
[[ $new_pid != "$old_pid" ]] && pid_alive "$new_pid" || fail "maild not restarted"
tr '\0' ' ' <"/proc/$new_pid/cmdline" >cmdline
[[ $(<cmdline) == "$MAIL_PREFIX/bin/maild --listen 127.0.0.1:$port --store $MAIL_STORE --pidfile $MAIL_RUN/maild.pid --log $WORK/maild.log " ]] ||
	fail "restarted differently: $(<cmdline)"
"$DEMO_DIR/smtp-send" 127.0.0.1 "$port" --count 2 >>acked || fail "maild 3 does not take mail"
sort acked | cmp - <("$MAIL_PREFIX/bin/maild" --list-store "$MAIL_STORE") || fail "messages lost"
[[ $(head -1 < <("$sp/verify")) == 3 ]] || fail "verify does not say 3"

rc=0; "$sp/install" >out2 2>err2 || rc=$?
((rc == 0)) && grep -q "nothing to do" out2 || fail "second run: exit $rc, $(cat out2 err2)"
read -r pid <"$MAIL_RUN/maild.pid"
[[ $pid == "$new_pid" ]] || fail "second run restarted maild"

# Same version installed, but the daemon runs a binary replaced under it:
# not up to date, so the installer restarts it.
"$DEMO_DIR/setup-node" 3 >/dev/null
rc=0; "$sp/install" >out4 2>err4 || rc=$?
((rc == 0)) && grep -q "^maild started at" out4 || fail "stale daemon not restarted: $(cat out4 err4)"
read -r new_pid <"$MAIL_RUN/maild.pid"
track_pid "$new_pid"
"$sp/verify" >/dev/null || fail "verify after the restart of a stale daemon"
stop_pid "$new_pid"

# sp3 on a store still at format 1: refused, nothing touched.
export MAIL_PREFIX=$WORK/opt1 MAIL_STORE=$WORK/store1 MAIL_RUN=$WORK/run1
mkdir -p "$MAIL_RUN"
"$DEMO_DIR/setup-node" 1 >/dev/null
by_hand "$MAIL_PREFIX/bin/maild"
rc=0; "$sp/install" >out3 2>err3 || rc=$?
((rc == 1)) && grep -q "at format 1, and this service pack does not migrate it" err3 ||
	fail "sp3 on format 1: exit $rc, $(cat out3 err3)"
! grep -q "stopped at" out3 || fail "sp3 stopped maild before refusing"
read -r same <"$MAIL_RUN/maild.pid"
[[ $same == "$pid" ]] && pid_alive "$pid" && [[ $(<"$MAIL_PREFIX/VERSION") == 1 ]] ||
	fail "sp3 touched a node it refused"
stop_pid "$pid"
