# The options come from one table: every command's usage line shows each
# option its help explains, every number of seconds or milliseconds is
# checked the same way, operand counts are enforced, and probe (which used
# to lack it) takes --ssh-config. probe, measuring with a command probe
# against a saved cluster state, stops on SIGTERM and still prints what it
# measured (exit 11).
source "$SRCDIR/tests/lib/cli.sh"

for verb in plan apply status history show report probe; do
	"$CLUPDATE" help "$verb" >help.txt || fail "help $verb"
	"$CLUPDATE" "$verb" --help | cmp -s - help.txt || fail "$verb --help differs from help $verb"
	usage=$(sed -n '1,/^$/p' help.txt)
	for option in $(sed -n 's/^  \(--[a-z-]*\).*/\1/p' help.txt); do
		[[ $usage == *"[$option"* ]] || fail "$verb: usage does not show $option"
	done
done
grep -q -- '--ssh-config FILE' <("$CLUPDATE" help probe) || fail "probe has no --ssh-config"

bad() {
	local want=$1; shift
	expect_status 2 "$CLUPDATE" "$@" 2>err.txt </dev/null
	grep -qF -- "$want" err.txt || fail "'$*': got '$(cat err.txt)', expected '$want'"
}
bad "probe: bad --duration 'abc' (expected whole seconds from 1 to 86400)" probe m.conf --duration abc
bad "probe: bad --duration '0' (expected whole seconds from 1 to 86400)" probe m.conf --duration 0
bad "probe: bad --settle '1s' (expected whole milliseconds from 0 to 600000)" probe m.conf --settle 1s
bad "probe: bad --settle '-1' (expected whole milliseconds from 0 to 600000)" probe m.conf --settle=-1
bad "apply: bad --settle-timeout '' (expected whole seconds from 1 to 86400)" apply m.conf --settle-timeout= --yes
bad "apply: bad --break-lock '9999' (expected whole seconds from 1 to 3600)" apply m.conf --break-lock=9999 --yes
bad "apply: stdin is not a terminal" apply m.conf
bad "status: takes no operand" status extra
bad "show: expected one RUN" show
bad "report: expected one RUN" report 1 2
bad "probe: expected a MANIFEST" probe
bad "history: unknown option '--frob'" history --frob

# A probe that needs no cluster: a command, against a saved state.
cat >m.conf <<'CONF'
[update]
name = app-sp1
version = 1.1
groups = app
data-migration = no

[install]
command = ./install
verify = ./verify

[probe "alive"]
type = command
command = true
interval-ms = 50
CONF
"$CLUPDATE" probe m.conf --cluster "static:$FIXTURES/static/mail-3nodes.ini" --duration 1 \
	--output-as json >out.json || fail "probe --duration 1"
grep -q '"status"' out.json || fail "probe printed no report"
"$CLUPDATE" probe m.conf --cluster "static:$FIXTURES/static/mail-3nodes.ini" --duration 60 \
	--output-as json >stopped.json 2>err.txt &
pid=$!
sleep 1
kill -TERM "$pid"
rc=0; wait "$pid" || rc=$?
((rc == 11)) || fail "probe stopped by SIGTERM exited $rc: $(cat err.txt)"
grep -q '"report"' stopped.json || fail "a stopped probe printed no report: $(cat stopped.json)"
grep -q "stopped by a signal" err.txt || fail "no stop message: $(cat err.txt)"
