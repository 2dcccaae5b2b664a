# shellcheck shell=bash
# Helpers for the demo service's tests (tests/demo/t*.sh), sourced by each.
# A test runs in a fresh temporary directory (its working directory) with
# DEMO_DIR pointing at a runtime directory (build/demo or build/demo-asan).
# Everything stays on loopback, on high ports. Every process a test starts
# is recorded in .pids (the runner ends any survivor by that pid) and
# stopped by pid when the test exits.
set -euo pipefail

: "${DEMO_DIR:?DEMO_DIR must point at the demo runtime directory}"
DEMO_DIR=$(cd "$DEMO_DIR" && pwd)
WORK=$PWD
export OCF_ROOT=${OCF_ROOT:-/usr/lib/ocf}
AGENT=$DEMO_DIR/ocf/maild

# OCF exit codes, for readability.
OCF_SUCCESS=0 OCF_ERR_GENERIC=1 OCF_ERR_CONFIGURED=6 OCF_ERR_INSTALLED=5
OCF_NOT_RUNNING=7
export OCF_SUCCESS OCF_ERR_GENERIC OCF_ERR_CONFIGURED OCF_ERR_INSTALLED OCF_NOT_RUNNING

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

note() { echo "# $*" >&2; }

# pid_alive PID: running and not a zombie (nobody may reap orphans here).
pid_alive() {
	local stat
	read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
	stat=${stat##*) }
	[[ $stat != [ZX]* ]]
}

# wait_gone PID [MS]: until the process is gone; fails after MS (5000).
wait_gone() {
	local pid=$1 steps=$((${2:-5000} / 20))
	while ((steps-- > 0)); do
		pid_alive "$pid" || return 0
		sleep 0.02
	done
	return 1
}

track_pid() { echo "$1" >>"$WORK/.pids"; }

# End every process this test recorded, by pid.
cleanup_pids() {
	local pid
	[[ -f $WORK/.pids ]] || return 0
	while read -r pid; do
		pid_alive "$pid" && kill -TERM "$pid" 2>/dev/null
	done <"$WORK/.pids"
	while read -r pid; do
		if ! wait_gone "$pid" 3000; then
			kill -KILL "$pid" 2>/dev/null || true
		fi
	done <"$WORK/.pids"
	return 0
}
trap cleanup_pids EXIT
trap 'exit 143' TERM INT

# A free port is found by trying: maild says "in use" otherwise.
# A port for a test daemon: below the kernel's ephemeral range (so no
# outgoing connection takes it meanwhile) and not in use now.
random_port() {
	local low high port i
	read -r low high </proc/sys/net/ipv4/ip_local_port_range
	for ((i = 0; i < 50; i++)); do
		port=$((10000 + RANDOM % (low - 10000)))
		[[ -z $(ss -Htan "( sport = :$port )") ]] && break
	done
	echo "$port"
}

# start_maild BIN STORE [ARGS...]: start a daemon on 127.0.0.1 and a free
# port; sets PORT, PID, PIDFILE, LOG. Fails the test when it cannot start.
start_maild() {
	local bin=$1 store=$2 attempt out rc
	shift 2
	for ((attempt = 0; attempt < 30; attempt++)); do
		PORT=$(random_port)
		PIDFILE=$WORK/maild-$PORT.pid
		LOG=$WORK/maild-$PORT.log
		rc=0
		out=$("$bin" --listen "127.0.0.1:$PORT" --store "$store" --pidfile "$PIDFILE" \
			--log "$LOG" "$@" 2>&1) || rc=$?
		if ((rc == 0)); then
			read -r PID <"$PIDFILE"
			track_pid "$PID"
			return 0
		fi
		[[ $out == *"in use"* ]] || fail "maild did not start (exit $rc): $out"
	done
	fail "no free port found"
}

# stop_pid PID: SIGTERM and wait until it is gone.
stop_pid() {
	kill -TERM "$1"
	wait_gone "$1" 5000 || fail "process $1 did not stop on SIGTERM"
}

# --- a raw SMTP session over bash's /dev/tcp, for exact reply codes ---

smtp_open() {
	exec {SMTP_FD}<>"/dev/tcp/127.0.0.1/$1"
}

smtp_close() {
	exec {SMTP_FD}>&-
}

# smtp_send LINE...: each line with CRLF.
smtp_send() {
	local line
	for line in "$@"; do
		printf '%s\r\n' "$line" >&"$SMTP_FD"
	done
}

# smtp_reply: read one reply (all its lines); REPLY_CODE, REPLY_TEXT (the
# last line), REPLY_ALL (every line).
smtp_reply() {
	local line
	REPLY_ALL=
	while :; do
		IFS= read -r -t 10 -u "$SMTP_FD" line || fail "no reply from the server (after: ${REPLY_ALL:-nothing})"
		line=${line%$'\r'}
		REPLY_ALL+="$line"$'\n'
		[[ $line =~ ^[2-5][0-9][0-9]([- ]|$) ]] || fail "bad reply line '$line'"
		[[ ${line:3:1} == "-" ]] || break
	done
	REPLY_CODE=${line:0:3}
	REPLY_TEXT=$line
}

# expect CODE [PATTERN]: the next reply has that code (and matches the glob).
expect() {
	smtp_reply
	[[ $REPLY_CODE == "$1" ]] || fail "expected $1, got '$REPLY_TEXT'"
	# shellcheck disable=SC2053 # $2 is a glob on purpose
	if (($# > 1)) && [[ $REPLY_TEXT != $2 ]]; then
		fail "reply '$REPLY_TEXT' does not match '$2'"
	fi
	return 0
}

# chat LINE CODE [PATTERN]: send one line, expect one reply.
chat() {
	smtp_send "$1"
	shift
	expect "$@"
}

# The server closed the connection (read gives EOF).
expect_closed() {
	local line
	if IFS= read -r -t 5 -u "$SMTP_FD" line; then
		fail "expected the server to close the connection, got '$line'"
	fi
}

queued_id() {
	[[ $REPLY_TEXT =~ queued\ as\ ([0-9A-F]+)$ ]] || fail "no id in '$REPLY_TEXT'"
	echo "${BASH_REMATCH[1]}"
}

# Run the OCF agent: ocf ACTION; exit status in OCF_RC, output in OCF_OUT.
ocf() {
	OCF_RC=0
	OCF_OUT=$(OCF_RESOURCE_INSTANCE=mail-daemon "$AGENT" "$1" 2>&1) || OCF_RC=$?
}

# bodies STORE MAILD: every message's body, in id order, for comparison.
bodies() {
	local id
	for id in $("$2" --list-store "$1"); do
		echo "== $id"
		"$2" --read-message "$1" "$id"
	done
}
