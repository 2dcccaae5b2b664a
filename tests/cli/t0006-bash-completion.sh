# The bash completion (completion/clupdate), driven as bash drives it:
# COMP_WORDS and COMP_CWORD set, the function called, COMPREPLY checked.
# Commands, options per command, option arguments (formats, strategies,
# --cluster kinds, lab names, files), manifests, lab subcommands and run
# ids from the journal.
source "$SRCDIR/tests/lib/cli.sh"

_clupdate_lab_root=$PWD/labs        # not the machine's labs
mkdir -p labs/alpha labs/beta
source "$SRCDIR/completion/clupdate"

# Words broken at blanks only: COMPREPLY holds whole words. (bash's default
# also breaks at ':' and '=': then COMPREPLY holds what follows them.)
COMP_WORDBREAKS=$' \t\n"\'><;|&('

# complete WORD... : COMPREPLY for the last word, sorted, on one line.
complete_line() {
	COMP_WORDS=("$CLUPDATE" "$@")
	COMP_CWORD=$#
	unset COMP_LINE COMP_POINT
	COMPREPLY=()
	_clupdate
	printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}

expect() {
	local want=$1; shift
	local got
	got=$(complete_line "$@")
	[[ $got == "$want" ]] || fail "clupdate $* -> '$got', expected '$want'"
}

# Commands: every one of the table (and help), each once.
got=$(complete_line "")
for verb in plan apply resume abort status history show report probe lab help --help --version; do
	[[ " $got " == *" $verb "* ]] || fail "commands: '$verb' missing from '$got'"
done
expect "report resume" re
expect "plan probe" help p

# Options of each command, as its help lists them.
for verb in plan apply report; do
	want=$("$CLUPDATE" help "$verb" | grep -oE '^  --[a-z-]+' | sed 's/^  //'; echo --help)
	[[ $(complete_line "$verb" --) == "$(sort <<<"$want" | tr '\n' ' ' | sed 's/ $//')" ]] ||
		fail "$verb options: $(complete_line "$verb" --)"
done
expect "--state-dir --strategy" apply x.conf --st

# Option arguments.
expect "json text xml" plan x.conf --output-as ""
expect "html json text xml" report 1 --output-as ""
expect "auto in-place rolling" plan x.conf --strategy ""
expect "lab: pacemaker sim: ssh: static: xml:" plan x.conf --cluster ""
expect "lab:alpha lab:beta" plan x.conf --cluster lab:
expect "lab:beta" apply x.conf --cluster lab:b
expect "--cluster=lab:alpha" plan x.conf --cluster=lab:a
COMP_WORDBREAKS+=':='
expect "alpha beta" plan x.conf --cluster lab:
expect "alpha" plan x.conf --cluster=lab:a
COMP_WORDBREAKS=${COMP_WORDBREAKS%:=}
mkdir caps && touch caps/one.xml
expect "xml:caps/one.xml" plan x.conf --cluster xml:caps/o

# Manifests: *.conf files (and directories, to walk into).
mkdir -p sps/sp9 && touch sps/sp9/sp9.conf sps/sp9/install
expect "sps/sp9/sp9.conf" plan sps/sp9/
expect "" show sps/sp9/

# The lab: its subcommands, their options, lab names, --fencing's words.
# (every one the help's usage lines name, whatever subcommands come later)
got=$(complete_line lab "")
for sub in client down exec kill start status up; do
	[[ " $got " == *" $sub "* ]] || fail "lab subcommands: '$sub' missing from '$got'"
done
for sub in $got; do
	"$CLUPDATE" lab --help | grep -Eq "^(usage:|      ) clupdate lab $sub( |\$)" ||
		fail "lab subcommand '$sub' offered, not in the lab's help"
done
expect "--help" lab --
got=$(complete_line lab up --)
for option in --fencing --name --nodes; do
	[[ " $got " == *" $option "* ]] || fail "lab up options: '$option' missing from '$got'"
done
for option in $got; do
	"$CLUPDATE" lab --help | grep "clupdate lab up " | grep -q -- "\[$option" ||
		fail "lab up option '$option' offered, not in the lab's help"
done
expect "alpha beta" lab down --name ""
expect "lab none" lab up --fencing ""

# Run ids from the journal of --state-dir, newest first, and "last".
expect "last" show ""
cp "$SRCDIR/demo/sim/lab.ini" sim.ini
"$CLUPDATE" plan "$SRCDIR/demo/sp2/sp2.conf" --cluster sim:sim.ini >/dev/null || fail "plan on sim"
"$CLUPDATE" apply "$SRCDIR/demo/sp2/sp2.conf" --cluster sim:sim.ini --state-dir state \
	--yes >/dev/null 2>err.txt || fail "apply on sim: $(cat err.txt)"
"$CLUPDATE" apply "$SRCDIR/demo/sp3/sp3.conf" --cluster sim:sim.ini --state-dir state \
	--yes >/dev/null 2>err.txt || fail "apply on sim: $(cat err.txt)"
expect "1 2 last" report --state-dir state ""
expect "2" show --state-dir=state 2
[[ ! -e nostate ]] || fail "nostate exists"
expect "last" report --state-dir nostate ""
[[ ! -e nostate ]] || fail "completing created a journal"

# Nothing after "--" is clupdate's to complete.
expect "" probe x.conf -- --c
