# The program teaches: --help lists every command, help VERB explains it,
# --version answers, and an unknown command is a usage error (exit 2).
source "$SRCDIR/tests/lib/cli.sh"

"$CLUPDATE" --help >help.txt || fail "--help failed"
for verb in plan apply status history show report lab; do
	grep -q "^  $verb " help.txt || fail "--help does not list '$verb'"
	"$CLUPDATE" help "$verb" >verb.txt || fail "help $verb failed"
	grep -q "^usage: clupdate $verb" verb.txt || fail "help $verb has no usage line"
done
"$CLUPDATE" --version | grep -Eq '^clupdate [0-9]+\.[0-9]+\.[0-9]+$' || fail "--version"
expect_status 2 "$CLUPDATE" frobnicate 2>err.txt
grep -q "no such command 'frobnicate'" err.txt || fail "unknown command message"
expect_status 2 "$CLUPDATE" plan 2>err.txt
grep -q "expected one MANIFEST" err.txt || fail "plan without manifest"
expect_status 2 "$CLUPDATE" plan x.conf --output-as yaml 2>err.txt
grep -q "unknown output format 'yaml'" err.txt || fail "bad --output-as"
