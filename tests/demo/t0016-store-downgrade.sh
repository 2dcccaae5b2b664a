#!/bin/bash
# The store's downgrade, for a rollback to maild 1 (maild --downgrade-store,
# the demo's down-migration): a store migrated to format 2, and written to
# by maild 2, goes back to format 1 with every message byte for byte, maild
# 1 serves it again; a downgrade crashed after its commit is finished by a
# rerun; a second run changes nothing; the daemon must be stopped; maild 1
# cannot do it.
source "$(dirname "$0")/lib.sh"

m1=$DEMO_DIR/maild-1 m2=$DEMO_DIR/maild-2

start_maild "$m1" s
"$DEMO_DIR/smtp-send" 127.0.0.1 "$PORT" --count 5 >/dev/null || fail "cannot fill the store"
stop_pid "$PID"
"$m2" --migrate-store s >/dev/null || fail "migration failed"
start_maild "$m2" s
"$DEMO_DIR/smtp-send" 127.0.0.1 "$PORT" --count 3 >/dev/null || fail "maild 2 did not accept mail"
# The daemon holds the store: no downgrade under it.
rc=0; "$m2" --downgrade-store s 2>err || rc=$?
((rc == 4)) || fail "downgrade under a running maild 2: exit $rc, $(cat err)"
stop_pid "$PID"

bodies s "$m2" >before
[[ $(grep -c '^== ' before) == 8 ]] || fail "expected 8 messages: $(grep -c '^== ' before)"
rc=0; "$m1" --downgrade-store s 2>err || rc=$?
((rc == 3)) || fail "maild 1 --downgrade-store: exit $rc"

# A crash after the commit: format 1, maild 1 reads every message; the rerun cleans up.
rc=0; MAILD_TEST_CRASH=commit "$m2" --downgrade-store s 2>err || rc=$?
((rc == 9)) || fail "simulated crash at commit: exit $rc, $(cat err)"
[[ $(<s/FORMAT) == 1 && -d s/mail2 ]] || fail "unexpected state after a crash at commit: $(ls s)"
bodies s "$m1" >after
cmp before after || fail "messages changed in the downgrade: $(diff before after | head)"
"$m2" --downgrade-store s >out || fail "the rerun failed: $(cat out)"
grep -q "is at format 1 (0 messages copied from format 2)" out || fail "rerun said: $(cat out)"
[[ ! -e s/mail2 ]] || fail "format-2 files left: $(ls s)"

# maild 1 serves the downgraded store, and sp2's migration takes it up again.
start_maild "$m1" s
"$DEMO_DIR/smtp-send" 127.0.0.1 "$PORT" --count 1 >/dev/null || fail "maild 1 did not accept mail"
stop_pid "$PID"
[[ $("$m1" --list-store s | wc -l) == 9 ]] || fail "maild 1 lists $("$m1" --list-store s | wc -l) messages"
"$m2" --migrate-store s >/dev/null || fail "migration after the downgrade failed"
[[ $("$m2" --list-store s | wc -l) == 9 ]] || fail "messages lost in the second migration"
exit 0
