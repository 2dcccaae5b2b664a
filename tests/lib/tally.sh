# Counting test results across runners. Each runner calls tally_add, then
# tally_close NAME, which prints "NAME: N passed, N failed" and appends the
# counts to $CLU_TALLY (when run-suite set it). Exit status: failures > 0.
tally_passed=0
tally_failed=0
tally_add() { tally_passed=$((tally_passed + $1)); tally_failed=$((tally_failed + $2)); }
tally_close() {
	echo "$1: $tally_passed passed, $tally_failed failed"
	[[ -n ${CLU_TALLY:-} ]] && echo "$tally_passed $tally_failed" >>"$CLU_TALLY"
	((tally_failed == 0))
	exit $?
}
