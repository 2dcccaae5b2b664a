# plan refuses a hostile cluster before planning, exit 4, nothing on
# stdout, and one line on stderr that names what is wrong, escaped
# (tests/fixtures/crm_mon/hostile-*.xml, each a capture edited to carry
# one attack): a DTD whose entities expand a 74 kB file to hundreds of
# megabytes, or turn a version "1.5" into "1".
source "$SRCDIR/tests/lib/cli.sh"
caps=$FIXTURES/crm_mon
sp2=$SRCDIR/demo/sp2/sp2.conf
dtd="crm_mon output has a document type declaration (<!DOCTYPE pacemaker-result>), which crm_mon never writes: refused"

refused() {
	local source=$1 want=$2 got=0
	"$CLUPDATE" plan "$sp2" --cluster "$source" >out.txt 2>err.txt || got=$?
	((got == 4)) || fail "$source: exit $got, expected 4: $(cat err.txt)"
	[[ ! -s out.txt ]] || fail "$source: planned anyway: $(cat out.txt)"
	[[ $(wc -l <err.txt) == 1 ]] || fail "$source: more than one line on stderr: $(cat err.txt)"
	[[ $(cat err.txt) == "clupdate: $want" ]] || fail "$source: $(cat err.txt)"
}

for x in "$caps"/hostile-dtd-*.xml; do
	refused "xml:$x" "xml:$x: $dtd"
done
