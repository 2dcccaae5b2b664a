#!/bin/bash
# Bad input never crashes maild (this runs under ASan/UBSan too) and never
# stores a half message: overlong command lines (500), random binary
# junk, NUL bytes, a message over the size limit (552, then the session
# goes on), more than 100 recipients (452), a client vanishing in the
# middle of DATA, and an idle client (421 after --idle-timeout). After all
# of it the daemon still serves, and the store holds exactly the
# acknowledged messages.
source "$(dirname "$0")/lib.sh"

maild=$DEMO_DIR/maild-2
store=$WORK/store
start_maild "$maild" "$store" --idle-timeout 2

smtp_open "$PORT"
expect 220
chat "EHLO test" 250
chat "NOOP $(printf 'x%.0s' {1..600})" 500 "*too long*"
chat "MAIL FROM:<$(printf 'a%.0s' {1..300})@example.org>" 501
printf 'NO\0OP\r\n' >&"$SMTP_FD"
expect 500
# A command line far beyond the input buffer, then a normal command.
head -c 20000 /dev/zero | tr '\0' 'A' >&"$SMTP_FD"
printf '\r\n' >&"$SMTP_FD"
expect 500 "*too long*"
chat "NOOP" 250

# Over the size limit: 552 after the final dot, and the session goes on.
chat "MAIL FROM:<a@example.org>" 250
chat "RCPT TO:<b@example.org>" 250
chat "DATA" 354
{ head -c $((11 * 1024 * 1024)) /dev/zero | tr '\0' 'x' | fold -w 998; echo; } |
	sed 's/$/\r/' >&"$SMTP_FD"
chat "." 552
chat "MAIL FROM:<a@example.org>" 250
for ((i = 1; i <= 100; i++)); do
	smtp_send "RCPT TO:<user$i@example.org>"
done
for ((i = 1; i <= 100; i++)); do
	expect 250
done
chat "RCPT TO:<one-too-many@example.org>" 452
chat "DATA" 354
chat "." 250
kept=$(queued_id)
chat "QUIT" 221
smtp_close

# Random junk, including NULs and lone CRs.
for ((i = 0; i < 5; i++)); do
	smtp_open "$PORT"
	head -c 200000 /dev/urandom 1>&"$SMTP_FD" 2>/dev/null || true
	smtp_close
done

# A client that disappears in the middle of a message.
smtp_open "$PORT"
expect 220
chat "HELO test" 250
chat "MAIL FROM:<a@example.org>" 250
chat "RCPT TO:<b@example.org>" 250
chat "DATA" 354
smtp_send "Subject: cut short" "" "half"
smtp_close

# An idle client is dropped with 421.
smtp_open "$PORT"
expect 220
expect 421 "*timeout*"
expect_closed
smtp_close

pid_alive "$PID" || fail "maild died"
id=$("$DEMO_DIR/smtp-send" 127.0.0.1 "$PORT") || fail "maild no longer serves"
stored=$("$maild" --list-store "$store")
want=$(printf '%s\n' "$kept" "$id" | sort)
[[ $stored == "$want" ]] || fail "store holds '$stored', want '$want'"
stop_pid "$PID"

# Bad command lines of the programs themselves.
rc=0; "$maild" --listen nonsense --store "$store" 2>err || rc=$?
((rc == 1)) && grep -q "bad listen address" err || fail "bad --listen: exit $rc, $(cat err)"
rc=0; "$maild" --store "$store" 2>err || rc=$?
((rc == 2)) || fail "missing --listen: exit $rc"
rc=0; "$maild" --read-message "$store" ../../etc/passwd 2>err || rc=$?
((rc == 1)) && grep -q "not a message id" err || fail "path in an id: exit $rc, $(cat err)"
rc=0; "$DEMO_DIR/smtp-send" 127.0.0.1 "$PORT" 2>err || rc=$?
((rc == 1)) && grep -q "cannot connect" err || fail "smtp-send to nothing: exit $rc, $(cat err)"
rc=0; "$DEMO_DIR/smtp-send" 127.0.0.1 2>err || rc=$?
((rc == 2)) || fail "smtp-send usage: exit $rc"
