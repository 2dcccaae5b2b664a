#!/bin/bash
# A small randomized conversation fuzzer: hundreds of sessions, each a
# random mix of valid and broken commands (often after a valid transaction
# opening, so DATA is exercised), random line endings, overlong lines, NULs
# and binary noise, half-closed or abandoned. maild must survive it (ASan
# and UBSan watch in the demo-asan run), keep serving, and every message in
# the store must still parse (--list-store checks each file). The seed is
# printed so a failure can be replayed with FUZZ_SEED.
source "$(dirname "$0")/lib.sh"

seed=${FUZZ_SEED:-$RANDOM}
note "fuzz seed $seed"
RANDOM=$seed
maild=$DEMO_DIR/maild-2
start_maild "$maild" "$WORK/store" --idle-timeout 1

corpus=(
	"EHLO x" "HELO y" "MAIL FROM:<a@b>" "MAIL FROM:<>" "RCPT TO:<c@d>" "DATA" "." "..x"
	"RSET" "NOOP" "VRFY a" "HELP" "QUIT" "" "MAIL FROM:<a@b> SIZE=12"
	"RCPT TO:<@x,@y:z@w>" "mail from:<a@b> body=8bitmime" "DATA x" "RCPT TO:<>"
	"MAIL FROM:<a@b" "RCPT TO:c@d>" "EHLO" "MAIL FROM:<a@b> SIZE=-1" "..." " . "
)
long=$(printf 'L%.0s' {1..700})
seps=($'\r\n' $'\n' $'\r\n' $'\r' "")
for ((session = 0; session < 300; session++)); do
	exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
	read_out=$((RANDOM % 4 == 0))
	# A subshell: the server may close first, and SIGPIPE must end only it.
	(
		((RANDOM % 2)) && printf 'EHLO a\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n'
		for ((i = RANDOM % 40; i > 0; i--)); do
			case $((RANDOM % 10)) in
			0) printf '%s' "$long" ;;
			1) head -c $((RANDOM % 200)) /dev/urandom ;;
			2) printf 'NUL\0IN\0LINE' ;;
			*) printf '%s' "${corpus[RANDOM % ${#corpus[@]}]}" ;;
			esac
			printf '%s' "${seps[RANDOM % ${#seps[@]}]}"
		done
		# End any message and the session, so the server closes it.
		((read_out)) && printf '\r\n.\r\nQUIT\r\n'
	) >&"$fd" 2>/dev/null || true
	# Read some sessions out to the end; abandon the others mid-way.
	if ((read_out)); then
		timeout 5 cat <&"$fd" >/dev/null 2>&1 || true
	fi
	exec {fd}>&-
done

pid_alive "$PID" || fail "maild died (seed $seed)"
"$DEMO_DIR/smtp-send" 127.0.0.1 "$PORT" >/dev/null || fail "maild no longer serves (seed $seed)"
"$maild" --list-store "$WORK/store" >stored 2>err || fail "damaged store (seed $seed): $(cat err)"
note "$(wc -l <stored) messages stored"
stop_pid "$PID"
