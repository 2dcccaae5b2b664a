# The manifest and the static cluster file are read whole, with lines of
# any length ending in LF, CRLF or a lone CR, and a file of at most 16 MiB.
# The inputs of issue 8 (tests/fixtures/fuzz-repro/): a header followed by
# 248 CR once overran libinih's 200-byte line buffer (SIGSEGV), and
# /dev/zero as a file was read until memory ran out. Each now ends in one
# error line naming the file (and the line where there is one).
source "$SRCDIR/tests/lib/cli.sh"
repro=$FIXTURES/fuzz-repro
cluster=static:$FIXTURES/cli/2node.ini

# one_error STATUS PATTERN CMD...: CMD exits with STATUS, prints nothing on
# stdout and one line on stderr, matching PATTERN (grep -E).
one_error() {
	local status=$1 pattern=$2 got=0; shift 2
	"$@" >out.txt 2>err.txt || got=$?
	((got == status)) || fail "'$*' exited with $got, expected $status: $(cat err.txt)"
	[[ ! -s out.txt ]] || fail "stdout is not empty: $(cat out.txt)"
	[[ $(wc -l <err.txt) == 1 ]] || fail "expected one error line, got: $(cat err.txt)"
	grep -Eq "$pattern" err.txt || fail "message: $(cat err.txt)"
}

m=$repro/manifest-cr-run.conf
one_error 3 "^clupdate: $m:1: \[update\] missing required key 'name'" \
	"$CLUPDATE" plan "$m" --cluster "$cluster"
s=$repro/static-cr-run.ini
one_error 4 "^clupdate: $s: no \[node \"NAME\"\] section" \
	"$CLUPDATE" plan "$FIXTURES/cli/sp2.conf" --cluster "static:$s"

# The acceptance example, its files rewritten with lone CRs, a run of 248
# after the first line, and a 2,000-character line: the same plan.
crs=$(printf '\r%.0s' {1..248})
{ tr '\n' '\r' <"$FIXTURES/cli/sp2.conf" | sed "1s/\r/$crs/"; } >sp2.conf
members=$(printf 'resource-%03d, ' {1..150})
{ sed "s/^members = .*/members = ${members}maild/" "$FIXTURES/cli/2node.ini" |
	tr '\n' '\r' | sed "1s/\r/$crs/"; } >2node.ini
(($(tr -cd '\n' <sp2.conf | wc -c) == 0 && $(wc -c <2node.ini) > 2000)) ||
	fail "rewriting the fixtures"
"$CLUPDATE" plan sp2.conf --cluster static:2node.ini >plan.txt 2>err.txt ||
	fail "plan failed: $(cat err.txt)"
golden plan-2node-in-place.txt plan.txt

# An error after the run names its line: the run moved line 7 down by 247.
sed 's/^data-migration = yes/data-migration = maybe/' "$FIXTURES/cli/sp2.conf" |
	tr '\n' '\r' | sed "1s/\r/$crs/" >bad.conf
one_error 3 "^clupdate: bad.conf:254: \[update\] data-migration: 'maybe' is not a boolean" \
	"$CLUPDATE" plan bad.conf --cluster "$cluster"

# A file without end. Before the limit, reading it took all the memory
# there was: cap what a regression could take (an ASan build reserves
# terabytes of address space, so it is capped by its resident size).
if ldd "$CLUPDATE" | grep -q libasan; then
	export ASAN_OPTIONS=${ASAN_OPTIONS:-}:hard_rss_limit_mb=1024
else
	ulimit -v 1048576
fi
too_large="File too large \(expected at most 16 MiB\)$"
one_error 7 "^clupdate: cannot read manifest '/dev/zero': $too_large" \
	"$CLUPDATE" plan /dev/zero --cluster "$cluster"
one_error 7 "^clupdate: cannot read '/dev/zero': $too_large" \
	"$CLUPDATE" plan "$FIXTURES/cli/sp2.conf" --cluster static:/dev/zero
one_error 7 "^clupdate: cannot read '/dev/zero': File too large" \
	"$CLUPDATE" plan "$FIXTURES/cli/sp2.conf" --cluster xml:/dev/zero
