#!/bin/bash
# Store formats, the danger clupdate guards against: maild 1 refuses a
# format-2 store with a clear error (exit 3); maild 2 migrates a format-1
# store keeping every message intact; a migration interrupted at any point
# leaves a store one of the versions opens, and re-running completes it;
# maild 3 serves a format-2 store; a new store is created at the daemon's
# format; one process at a time (exit 4).
source "$(dirname "$0")/lib.sh"

m1=$DEMO_DIR/maild-1 m2=$DEMO_DIR/maild-2 m3=$DEMO_DIR/maild-3
for v in 1 2 3; do
	[[ $("$DEMO_DIR/maild-$v" --version) == "$v" ]] || fail "maild-$v --version"
done

# fill VERSION STORE N: a store with N messages written by that maild.
fill() {
	start_maild "$DEMO_DIR/maild-$1" "$2"
	"$DEMO_DIR/smtp-send" 127.0.0.1 "$PORT" --count "$3" >/dev/null ||
		fail "cannot fill store '$2'"
	stop_pid "$PID"
}


# New stores take the daemon's format.
fill 1 s1 10
[[ $(<s1/FORMAT) == 1 && $("$m2" --store-format s1) == 1 ]] || fail "maild 1 made a store of format $(<s1/FORMAT)"
fill 3 s3 1
[[ $(<s3/FORMAT) == 2 ]] || fail "maild 3 made a store of format $(<s3/FORMAT)"
[[ $("$m1" --store-format empty) == none ]] || fail "--store-format of a missing store"

# maild 2 does not serve a format-1 store before its migration.
rc=0; "$m2" --listen 127.0.0.1:1 --store s1 2>err || rc=$?
((rc == 3)) && grep -q "run 'maild --migrate-store' first" err ||
	fail "maild 2 on a format-1 store: exit $rc, $(cat err)"
rc=0; "$m1" --migrate-store s1 2>err || rc=$?
((rc == 3)) || fail "maild 1 --migrate-store: exit $rc"

# The migration keeps every message, byte for byte.
bodies s1 "$m1" >before
"$m2" --migrate-store s1 >out || fail "migration failed"
grep -q "migrated from format 1 to format 2 (10 messages copied)" out || fail "migration said: $(cat out)"
[[ $(<s1/FORMAT) == 2 && ! -e s1/mail ]] || fail "store not cleanly at format 2: $(ls s1)"
bodies s1 "$m2" >after
cmp before after || fail "messages changed in the migration"
"$m2" --migrate-store s1 >out || fail "second migration failed"
grep -q "is at format 2" out || fail "second migration said: $(cat out)"

# The danger: maild 1 must refuse the upgraded store, clearly.
rc=0; "$m1" --listen 127.0.0.1:1 --store s1 2>err || rc=$?
((rc == 3)) || fail "maild 1 on a format-2 store: exit $rc (want 3)"
grep -q "store '.*s1' has format 2, but this maild reads only format 1" err &&
	grep -q "refusing to start" err || fail "unclear refusal: $(cat err)"
rc=0; "$m1" --list-store s1 2>err || rc=$?
((rc == 3)) || fail "maild 1 --list-store on format 2: exit $rc"

# maild 3 serves it (no migration needed) and keeps adding to it.
start_maild "$m3" s1
"$DEMO_DIR/smtp-send" 127.0.0.1 "$PORT" --count 3 >new || fail "maild 3 did not accept mail"
stop_pid "$PID"
[[ $("$m3" --list-store s1 | wc -l) == 13 ]] || fail "maild 3 lists $("$m3" --list-store s1 | wc -l) messages"
bodies s1 "$m2" >all
head -n "$(wc -l <before)" all >after3
cmp after3 before || fail "maild 3 changed old messages: $(diff after3 before | head)"

# A crash in the middle of copying: still format 1, maild 1 serves it and
# accepts mail; re-running the migration copies everything.
fill 1 s4 6
rc=0; MAILD_TEST_CRASH=copy:3 "$m2" --migrate-store s4 2>err || rc=$?
((rc == 9)) || fail "simulated crash: exit $rc, $(cat err)"
[[ $(<s4/FORMAT) == 1 ]] || fail "FORMAT changed before the copy was complete"
fill 1 s4 2
[[ $("$m1" --list-store s4 | wc -l) == 8 ]] || fail "maild 1 lost messages after the crash"
bodies s4 "$m1" >before
"$m2" --migrate-store s4 >out || fail "resumed migration failed"
grep -q "(5 messages copied)" out || fail "resumed migration said: $(cat out)"
bodies s4 "$m2" >after
cmp before after || fail "messages changed in the resumed migration"

# A crash after the switch of FORMAT, before the cleanup: format 2 (maild 1
# refuses, maild 2 serves); re-running cleans up.
fill 1 s5 4
bodies s5 "$m1" >before
rc=0; MAILD_TEST_CRASH=commit "$m2" --migrate-store s5 2>err || rc=$?
((rc == 9)) || fail "simulated crash at commit: exit $rc"
[[ $(<s5/FORMAT) == 2 && -d s5/mail ]] || fail "unexpected state after a crash at commit"
rc=0; "$m1" --listen 127.0.0.1:1 --store s5 2>err || rc=$?
((rc == 3)) || fail "maild 1 opened a committed store: exit $rc"
bodies s5 "$m2" >after
cmp before after || fail "messages differ after a crash at commit"
"$m2" --migrate-store s5 >out || fail "cleanup run failed"
[[ ! -e s5/mail ]] || fail "format-1 files left after the cleanup run"

# One process per store.
start_maild "$m2" s5
rc=0; "$m2" --listen 127.0.0.1:1 --store s5 2>err || rc=$?
((rc == 4)) && grep -q "in use by another process" err || fail "second daemon: exit $rc, $(cat err)"
stop_pid "$PID"
start_maild "$m1" s6
rc=0; "$m2" --migrate-store s6 2>err || rc=$?
((rc == 4)) || fail "migration under a running maild 1: exit $rc, $(cat err)"
stop_pid "$PID"

# A damaged store is refused rather than guessed at.
rm s6/FORMAT
rc=0; "$m1" --listen 127.0.0.1:1 --store s6 2>err || rc=$?
((rc == 1)) && grep -q "has no FORMAT file" err || fail "store without FORMAT: exit $rc, $(cat err)"
echo 7 >s6/FORMAT
rc=0; "$m1" --listen 127.0.0.1:1 --store s6 2>err || rc=$?
((rc == 3)) && grep -q "unknown format '7'" err || fail "store with FORMAT 7: exit $rc, $(cat err)"

# A truncated message file is reported, not listed as if it were whole
# (format 2 records the body's size).
fill 2 s7 3
victim=$(find s7/mail2 -name '*.msg' | head -1)
truncate -s -5 "$victim"
rc=0; "$m2" --list-store s7 >listed 2>err || rc=$?
((rc == 1)) && grep -q "is damaged" err || fail "truncated message: exit $rc, $(cat err)"
[[ $(wc -l <listed) == 2 ]] || fail "damaged message listed: $(cat listed)"
