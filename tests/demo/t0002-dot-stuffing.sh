#!/bin/bash
# Dot-stuffing both ways (RFC 5321 4.5.2): maild removes the dot a client
# added to lines that begin with one, and only a lone "." ends the data;
# smtp-send adds the dots on the way out. What is stored is exactly the
# message the user wrote (with CRLF line endings), including lines of dots,
# a line longer than maild's input buffer that begins with a dot, and
# NUL bytes.
source "$(dirname "$0")/lib.sh"

maild=$DEMO_DIR/maild-2
start_maild "$maild" "$WORK/store"

# By hand, stuffed as a client must.
smtp_open "$PORT"
expect 220
chat "EHLO test" 250
chat "MAIL FROM:<a@example.org>" 250
chat "RCPT TO:<b@example.org>" 250
chat "DATA" 354
smtp_send "Subject: dots" "" "..leading dot" "..." ".." "...." "no dot" " ." "end ."
chat "." 250
id=$(queued_id)
chat "QUIT" 221
smtp_close
printf 'Subject: dots\r\n\r\n.leading dot\r\n..\r\n.\r\n...\r\nno dot\r\n .\r\nend .\r\n' >want
"$maild" --read-message "$WORK/store" "$id" >got
cmp want got || fail "stored message differs: $(od -c got | head -20)"

# Through smtp-send: the body file as the user wrote it (LF endings).
{
	printf 'Subject: from a file\n\n.\n..\nmiddle\n.\n.end\n'
	printf '.%*s\n' 6000 x      # longer than the daemon's 4096-byte buffer
	printf 'nul\0byte\n'
	printf 'last line without newline'
} >body
id=$("$DEMO_DIR/smtp-send" 127.0.0.1 "$PORT" --body-file body)
[[ $id =~ ^[0-9A-F]+$ ]] || fail "smtp-send printed '$id'"
"$maild" --read-message "$WORK/store" "$id" >got
# Expected: CRLF endings, and the final line terminated.
{ cat body; echo; } | sed 's/$/\r/' >want
cmp want got || fail "round trip through smtp-send changed the message"

# smtp-send's default message carries dot lines too.
id=$("$DEMO_DIR/smtp-send" 127.0.0.1 "$PORT")
"$maild" --read-message "$WORK/store" "$id" | tr -d '\r' >got
grep -qx '.leading dot, sent as ..' got || fail "default message lost its dot line"
grep -qx '\.' got || fail "default message lost its lone dot line"
