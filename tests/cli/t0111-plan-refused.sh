# Refusals name the reason: a strategy the manifest forbids, and an
# availability breach that names the step and the invariant. Exit 5.
source "$SRCDIR/tests/lib/cli.sh"

expect_status 5 "$CLUPDATE" plan "$FIXTURES/cli/sp2.conf" --strategy rolling \
	--cluster "static:$FIXTURES/cli/2node.ini" 2>err.txt
grep -q "strategy rolling is forbidden by '$FIXTURES/cli/sp2.conf': data-migration = yes and takeover-compatible = no" err.txt ||
	fail "forbidden rolling: $(cat err.txt)"

expect_status 5 "$CLUPDATE" plan "$FIXTURES/cli/sp2.conf" \
	--cluster "static:$FIXTURES/cli/3node-standby.ini" 2>err.txt
grep -q "in-place plan refused at step 2 (install 'n2'): availability: 2 nodes would be out of service, the manifest allows 1 (max-unavailable)" err.txt ||
	fail "availability: $(cat err.txt)"

expect_status 2 "$CLUPDATE" plan "$FIXTURES/cli/sp2.conf" --cluster "xml:" 2>err.txt
expect_status 2 "$CLUPDATE" plan "$FIXTURES/cli/sp2.conf" --cluster "nowhere" 2>err.txt
grep -q "unknown cluster 'nowhere'" err.txt || fail "unknown cluster: $(cat err.txt)"
