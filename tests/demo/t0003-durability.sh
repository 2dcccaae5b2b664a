#!/bin/bash
# The durability contract: a message is on disk before its 250 reply.
# 1. Each acknowledged message's file exists, complete, the moment the 250
#    is read.
# 2. The system calls, traced: the message is written to tmp/, fsync'd,
#    renamed into place (never over an existing file), the directory
#    fsync'd, and only then is "250 ... queued as ID" sent.
# 3. A daemon killed (SIGKILL) in the middle of a message acknowledges
#    nothing of it; after a restart every acknowledged message is there and
#    leftovers in tmp/ are gone.
source "$(dirname "$0")/lib.sh"

maild=$DEMO_DIR/maild-1
store=$WORK/store
start_maild "$maild" "$store"

smtp_open "$PORT"
expect 220
chat "EHLO test" 250
for ((i = 1; i <= 20; i++)); do
	chat "MAIL FROM:<a@example.org>" 250
	chat "RCPT TO:<b@example.org>" 250
	chat "DATA" 354
	smtp_send "Subject: durable $i" "" "body $i"
	chat "." 250
	id=$(queued_id)
	[[ -f $store/mail/$id ]] || fail "message $id acknowledged but not in the store"
	"$maild" --read-message "$store" "$id" | grep -q "^body $i" ||
		fail "message $id is not complete when acknowledged"
done
chat "QUIT" 221
smtp_close
before=$("$maild" --list-store "$store")
[[ $(wc -l <<<"$before") == 20 ]] || fail "want 20 messages, store lists: $before"

# 3. SIGKILL in the middle of a message.
smtp_open "$PORT"
expect 220
chat "EHLO test" 250
chat "MAIL FROM:<a@example.org>" 250
chat "RCPT TO:<b@example.org>" 250
chat "DATA" 354
smtp_send "Subject: never finished" "" "half a message"
smtp_send "NOOP"     # inside DATA: message text, no reply
kill -KILL "$PID"
wait_gone "$PID" || fail "maild survived SIGKILL"
smtp_close
: >"$store/tmp/0000000000000000.tmp"    # what a crash mid-write leaves
start_maild "$maild" "$store"
after=$("$maild" --list-store "$store")
[[ $after == "$before" ]] || fail "store changed across the crash: $after"
[[ -z $(ls -A "$store/tmp") ]] || fail "tmp/ not cleaned at start: $(ls -A "$store/tmp")"
stop_pid "$PID"

# 2. The order of the system calls, when strace is there.
if ! command -v strace >/dev/null; then
	note "strace not installed: system call order not checked"
	exit 0
fi
PORT=$(random_port)
# LeakSanitizer cannot run under ptrace; the rest of ASan still does.
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
	strace -f -qq -s 256 -o trace -e trace=openat,fsync,rename,renameat,renameat2,sendto,write \
	"$DEMO_DIR/maild-2" --foreground --listen "127.0.0.1:$PORT" --store "$WORK/store2" \
	--pidfile "$WORK/traced.pid" 2>traced.log &
track_pid $!
for ((i = 0; i < 250; i++)); do
	[[ -s $WORK/traced.pid ]] && break
	sleep 0.02
done
[[ -s $WORK/traced.pid ]] || fail "traced maild did not start: $(cat traced.log)"
read -r traced <"$WORK/traced.pid"
track_pid "$traced"
id=$("$DEMO_DIR/smtp-send" 127.0.0.1 "$PORT") || fail "smtp-send to the traced maild failed"
stop_pid "$traced"
wait

# The line numbers of each step for this id, in the trace.
open_line=$(grep -n "openat(.*\"$id.tmp\", O_WRONLY|O_CREAT" trace | head -1)
[[ $open_line =~ ^([0-9]+):.*=\ ([0-9]+)$ ]] || fail "no creation of $id.tmp in the trace"
open_at=${BASH_REMATCH[1]} fd=${BASH_REMATCH[2]}
fsync_file=$(awk -v from="$open_at" -v fd="$fd" 'NR > from && $0 ~ ("fsync\\(" fd "\\) += 0") {print NR; exit}' trace)
rename_at=$(grep -n "renameat2(.*\"$id.tmp\", .*\"$id.msg\", RENAME_NOREPLACE) = 0" trace | cut -d: -f1)
fsync_dir=$(awk -v from="${rename_at:-0}" 'NR > from && /fsync\([0-9]+\) += 0/ {print NR; exit}' trace)
reply_at=$(grep -n "sendto(.*\"250 2.0.0 Ok: queued as $id" trace | head -1 | cut -d: -f1)
[[ -n $fsync_file && -n $rename_at && -n $fsync_dir && -n $reply_at ]] ||
	fail "trace lacks a step (fsync file '$fsync_file', rename '$rename_at'," \
		"fsync dir '$fsync_dir', reply '$reply_at'): $(cat trace)"
((open_at < fsync_file && fsync_file < rename_at && rename_at < fsync_dir &&
	fsync_dir < reply_at)) ||
	fail "wrong order: open $open_at, fsync $fsync_file, rename $rename_at," \
		"fsync dir $fsync_dir, reply $reply_at"
