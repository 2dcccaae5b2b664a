# A reader that goes away does not kill clupdate with SIGPIPE (exit 141):
# writes to the closed pipe fail with EPIPE, and clupdate says so and
# exits with its own status. `apply` relies on this to finish a run (and
# release the cluster lock) when its output goes to `| head`; here `plan`,
# which needs no cluster, shows it.
source "$SRCDIR/tests/lib/cli.sh"

# A plan far larger than a pipe's buffer (64 KiB): 250 nodes.
{
	printf '[cluster]\nname = big\nquorum = yes\n'
	for i in $(seq 1 250); do
		printf '\n[node "node%03d"]\nonline = yes\nversion = 1\n' "$i"
	done
	printf '\n[group "mail"]\nmembers = ip, store, maild\nowner = node001\ndata-version = 1\n'
} >big.ini
cluster=static:big.ini

"$CLUPDATE" plan "$FIXTURES/cli/sp2.conf" --cluster "$cluster" >plan.txt 2>err.txt ||
	fail "plan failed: $(cat err.txt)"
(($(wc -c <plan.txt) > 200000)) || fail "the plan is too small to fill a pipe: $(wc -c <plan.txt) bytes"

# The shell's way: head leaves after one byte, clupdate is still writing.
"$CLUPDATE" plan "$FIXTURES/cli/sp2.conf" --cluster "$cluster" 2>err.txt | head -c1 >/dev/null
status=${PIPESTATUS[0]}
((status != 141)) || fail "plan | head -c1: clupdate was killed by SIGPIPE"
((status == 7)) || fail "plan | head -c1: exit status $status, expected 7 (i/o): $(cat err.txt)"
grep -q "^clupdate: cannot write the plan: Broken pipe$" err.txt || fail "plan | head -c1: $(cat err.txt)"

# Deterministically: stdout and stderr are pipes nobody reads from any
# more (as after `2>&1 | head`). Python starts the child with the default
# SIGPIPE (restore_signals), as a shell would; -13 is death by SIGPIPE.
closed_pipe() {
	python3 - "$@" <<'PY'
import os, subprocess, sys
r, w = os.pipe()
os.close(r)
print(subprocess.run(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=w, stderr=w).returncode)
PY
}
for format in text json xml; do
	status=$(closed_pipe "$CLUPDATE" plan "$FIXTURES/cli/sp2.conf" --cluster "$cluster" \
		--output-as "$format") || fail "python"
	[[ $status == 7 ]] || fail "plan --output-as $format to a closed pipe: status $status, expected 7"
done
# An error message to a closed stderr: the error's own status, not a death.
status=$(closed_pipe "$CLUPDATE" plan "$FIXTURES/cli/bad-key.conf" --cluster "$cluster") ||
	fail "python"
[[ $status == 3 ]] || fail "bad manifest with a closed stderr: status $status, expected 3"
