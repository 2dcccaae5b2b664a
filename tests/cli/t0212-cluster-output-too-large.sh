# A cluster tool whose output is larger than clupdate captures (4 MiB) is
# an error naming the tool and the node, not a partial cluster state handed
# to the parser. A fake crm_mon, first in PATH, prints a real capture with
# a 5 MiB XML comment inside, so that the cut falls inside the document.
source "$SRCDIR/tests/lib/cli.sh"

capture=$FIXTURES/crm_mon/2node-mail-on-n2.xml
{
	head -n 2 "$capture"
	printf '<!-- '
	head -c $((5 << 20)) /dev/zero | tr '\0' x
	printf ' -->\n'
	tail -n +3 "$capture"
} >crm_mon.out
mkdir bin
printf '#!/bin/sh\nexec cat "%s"\n' "$PWD/crm_mon.out" >bin/crm_mon
chmod +x bin/crm_mon

PATH=$PWD/bin:$PATH expect_status 4 "$CLUPDATE" plan "$FIXTURES/cli/sp2.conf" \
	--cluster pacemaker >out.txt 2>err.txt
[[ $(cat err.txt) == "clupdate: 'crm_mon' on 'this machine': output larger than 4 MiB, truncated: refusing to parse a partial cluster state" ]] ||
	fail "$(cat err.txt)"
