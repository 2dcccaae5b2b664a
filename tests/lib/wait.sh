# wait_until SECONDS WHAT CMD...: poll CMD every 0.2 s; fail (the caller's
# fail()) when it is still false after SECONDS. For lab tests: what they
# wait for is the engine or a run, never a fixed sleep.
wait_until() {
	local secs=$1 what=$2; shift 2
	local end=$((SECONDS + secs))
	until "$@"; do
		((SECONDS < end)) || fail "timed out after ${secs}s waiting for $what"
		sleep 0.2
	done
}
