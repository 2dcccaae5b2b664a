#!/bin/bash
# An SMTP conversation with maild: every command's reply code, the sequence
# errors (503), syntax errors (501, 555), unknown and unimplemented
# commands (500, 502), a complete transaction with its queued id, a second
# transaction in the same session, pipelined commands, and QUIT (221).
source "$(dirname "$0")/lib.sh"

start_maild "$DEMO_DIR/maild-1" "$WORK/store"
smtp_open "$PORT"
expect 220 "220 * ESMTP clupdate maild 1"

# Before EHLO/HELO: no transaction.
chat "MAIL FROM:<a@example.org>" 503
chat "RCPT TO:<b@example.org>" 503
chat "DATA" 503
chat "NOOP" 250
chat "HELO" 501
chat "EHLO" 501
chat "EHLO client.example.org" 250
[[ $REPLY_ALL == *"250-PIPELINING"* && $REPLY_ALL == *"250-SIZE 10485760"* &&
	$REPLY_ALL == *"250 ENHANCEDSTATUSCODES"* ]] || fail "EHLO reply lacks extensions: $REPLY_ALL"
chat "HELO client.example.org" 250

# Sequence and syntax errors.
chat "RCPT TO:<b@example.org>" 503 "*need MAIL*"
chat "DATA" 503 "*need MAIL*"
chat "MAIL FROM:a@example.org" 501
chat "MAIL FROM:<a b@example.org>" 501
chat "MAIL TO:<a@example.org>" 501
chat "MAIL FROM:<a@example.org> FOO=BAR" 555
chat "MAIL FROM:<a@example.org> SIZE=99999999999" 552
chat "MAIL FROM:<a@example.org> SIZE=1000 BODY=8BITMIME" 250
chat "MAIL FROM:<c@example.org>" 503 "*nested*"
chat "DATA" 503 "*need RCPT*"
chat "RCPT TO:<>" 501
chat "RCPT TO:b@example.org" 501
chat "RCPT TO:<b@example.org> NOTIFY=NEVER" 555
chat "rcpt to:<b@example.org>" 250
chat "RCPT TO:<@relay.example.org:c@example.org>" 250
chat "DATA now" 501
chat "RSET" 250
chat "DATA" 503
# A fresh session: the error counter (20 ends a session) starts again.
chat "QUIT" 221
smtp_close
smtp_open "$PORT"
expect 220
chat "EHLO client.example.org" 250
chat "RSET extra" 501
chat "VRFY" 501
chat "VRFY postmaster" 252
chat "HELP" 214
chat "EXPN list" 502
chat "STARTTLS" 502
chat "FROB" 500
chat "" 500
chat "NOOP anything" 250

# A complete transaction; the null reverse path is allowed.
chat "MAIL FROM:<>" 250 "250 2.1.0 *"
chat "RCPT TO:<postmaster>" 250 "250 2.1.5 *"
chat "RCPT TO:<b@example.org>" 250
chat "DATA" 354
smtp_send "Subject: one" "" "first message"
chat "." 250 "250 2.0.0 Ok: queued as *"
first=$(queued_id)

# A second transaction in the same session, pipelined in one write.
printf 'MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nRCPT TO:<c@example.org>\r\nDATA\r\n' >&"$SMTP_FD"
expect 250
expect 250
expect 250
expect 354
printf 'Subject: two\r\n\r\nsecond message\r\n.\r\nNOOP\r\n' >&"$SMTP_FD"
expect 250 "*queued as *"
second=$(queued_id)
expect 250
[[ $first != "$second" ]] || fail "two messages got the same id $first"

chat "QUIT extra" 501
chat "QUIT" 221
expect_closed
smtp_close

# Both messages are in the store, with their envelopes and bodies.
ids=$("$DEMO_DIR/maild-1" --list-store "$WORK/store")
[[ $ids == "$first"$'\n'"$second" ]] || fail "store lists '$ids', want $first and $second"
body=$("$DEMO_DIR/maild-1" --read-message "$WORK/store" "$second" | tr -d '\r')
[[ $body == $'Subject: two\n\nsecond message' ]] || fail "stored body '$body'"
file=$WORK/store/mail/$second
grep -qx 'Maild-From: <a@example.org>' "$file" || fail "no envelope sender in $file"
[[ $(grep -c '^Maild-To:' "$file") == 2 ]] || fail "want 2 recipients in $file"

# Too many errors end the session with 421.
smtp_open "$PORT"
expect 220
for ((i = 0; i < 19; i++)); do
	chat "BOGUS" 500
done
smtp_send "BOGUS"
expect 500
expect 421
expect_closed
smtp_close

stop_pid "$PID"
[[ ! -e $PIDFILE ]] || fail "pidfile '$PIDFILE' left behind after SIGTERM"
grep -q "stopped" "$LOG" || fail "no 'stopped' in the log"
