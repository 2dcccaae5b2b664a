# The state directory and the journal files in it are refused, with the
# reason and the fix, unless only clupdate's user can change them: a group-
# or world-writable directory, one of another user, a symbolic link as the
# directory or as journal.db (whose target stays untouched). Exit 8.
source "$SRCDIR/tests/lib/cli.sh"

# refused DIR MESSAGE: `status --state-dir DIR` exits 8 saying MESSAGE.
refused() {
	expect_status 8 "$CLUPDATE" status --state-dir "$1" >out.txt 2>err.txt
	[[ $(cat err.txt) == "clupdate: journal '$1/journal.db': $2" ]] ||
		fail "--state-dir $1: $(cat err.txt)"
	[[ ! -s out.txt ]] || fail "--state-dir $1 wrote: $(cat out.txt)"
}

mkdir shared && chmod 0775 shared
refused shared "state directory 'shared' is writable by its group (mode 0775): fix with chmod go-w 'shared'"
[[ ! -e shared/journal.db ]] || fail "a journal was created in the refused 'shared'"
chmod go-w shared
"$CLUPDATE" status --state-dir shared >/dev/null || fail "'shared' refused after chmod go-w"

if [[ $(id -u) == 0 ]] && id nobody >/dev/null 2>&1; then
	mkdir theirs && chown nobody theirs
	refused theirs "state directory 'theirs' is owned by 'nobody', not by 'root' who runs clupdate: fix with chown root 'theirs'"
fi

mkdir real && ln -s real linked
refused linked "state directory 'linked' is a symbolic link (to 'real'): refusing to follow it"
[[ ! -e real/journal.db ]] || fail "a journal was created through the link 'linked'"

# journal.db planted as a link to a file: SQLite would have written the
# schema into it (an empty file looks like a new database).
: >victim && chmod 0644 victim
mkdir -m 0700 state && ln -s ../victim state/journal.db
refused state "journal file 'state/journal.db' is a symbolic link (to '../victim'): refusing to follow it"
[[ ! -s victim && $(stat -c %a victim) == 644 ]] || fail "the link's target was written to"
