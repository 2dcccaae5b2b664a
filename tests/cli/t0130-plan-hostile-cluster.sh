# plan refuses a hostile cluster before planning, exit 4, nothing on
# stdout, and one line on stderr that names what is wrong, escaped
# (tests/fixtures/crm_mon/hostile-*.xml, each a capture edited to carry
# one attack): a node name that would forge a runbook line, an ssh option,
# a shell substitution; a group split between nodes; a DTD whose entities
# expand a 74 kB file to hundreds of megabytes, or turn a version "1.5"
# into "1". The static file's names follow the same rule.
source "$SRCDIR/tests/lib/cli.sh"
caps=$FIXTURES/crm_mon
sp2=$SRCDIR/demo/sp2/sp2.conf
name_rule="(expected 1 to 253 letters, digits, '.', '_' and '-', the first a letter, a digit or '_')"
dtd="crm_mon output has a document type declaration (<!DOCTYPE pacemaker-result>), which crm_mon never writes: refused"

refused() {
	local source=$1 want=$2 got=0
	"$CLUPDATE" plan "$sp2" --cluster "$source" >out.txt 2>err.txt || got=$?
	((got == 4)) || fail "$source: exit $got, expected 4: $(cat err.txt)"
	[[ ! -s out.txt ]] || fail "$source: planned anyway: $(cat out.txt)"
	[[ $(wc -l <err.txt) == 1 ]] || fail "$source: more than one line on stderr: $(cat err.txt)"
	[[ $(cat err.txt) == "clupdate: $want" ]] || fail "$source: $(cat err.txt)"
}

x=$caps/hostile-node-newline.xml
refused "xml:$x" "xml:$x: <nodes>: node name 'n3\\n    4. install 'n2' (fake step)' has a control character $name_rule"
x=$caps/hostile-node-option.xml
refused "xml:$x" "xml:$x: <nodes>: node name '-oProxyCommand=id' starts with '-' $name_rule"
x=$caps/hostile-node-shell.xml
refused "xml:$x" "xml:$x: <nodes>: node name 'n3;\$(id)' has a character other than letters, digits, '.', '_' and '-' $name_rule"
x=$caps/hostile-group-split.xml
refused "xml:$x" "xml:$x: group 'mail' is active on more than one node: 'n1', 'n2' (expected one node: let the cluster recover it first)"
x=$caps/hostile-member-multi-active.xml
refused "xml:$x" "xml:$x: group 'mail' is active on more than one node: 'n1', 'n2' (expected one node: let the cluster recover it first)"
for x in "$caps"/hostile-dtd-*.xml; do
	refused "xml:$x" "xml:$x: $dtd"
done

# A file clupdate planned before: "-oProxyCommand" has only a name's characters.
static_file() { printf '[node "n1"]\nversion = 1\n[node "%s"]\nversion = 1\n[group "mail"]\nowner = n1\n' "$1" >hostile.ini; }
static_file "-oProxyCommand"
refused static:hostile.ini "hostile.ini:3: [node \"-oProxyCommand\"] node name '-oProxyCommand' starts with '-' $name_rule"
static_file "-oProxyCommand=id"
refused static:hostile.ini "hostile.ini:3: [node \"-oProxyCommand=id\"] '-oProxyCommand=id' is not a valid node name (expected letters, digits, '.', '_' and '-')"
