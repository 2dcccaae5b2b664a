# The man pages, generated from the command table and the format documents
# (scripts/make-man): a page per command and per format, each rendering
# without a warning, each command's page documenting every option of its
# entry, and the format pages every key the parsers accept.
source "$SRCDIR/tests/lib/cli.sh"

"$SRCDIR/scripts/make-man" "$CLUPDATE" man || fail "make-man failed"

# Plain text as man shows it, and no warning from groff or man on the way.
render() {
	local page=$1
	groff -ww -man -z "$page" 2>warn.txt || fail "groff failed on $page"
	[[ ! -s warn.txt ]] || fail "groff warns on $(basename "$page"): $(cat warn.txt)"
	MANWIDTH=80 man -l "$page" 2>warn.txt | col -b >"$page.txt" || fail "man -l $page failed"
	[[ ! -s warn.txt ]] || fail "man warns on $(basename "$page"): $(cat warn.txt)"
	[[ -s $page.txt ]] || fail "$(basename "$page") renders empty"
}

# The entries of a page's OPTIONS section: the lines that start with an option.
options_of() {
	sed -n '/^OPTIONS/,/^[A-Z]/p' "$1.txt" | grep -oE '^ +(-[a-zA-Z], )?--[a-z-]+' |
		sed -E 's/^ +(-[a-zA-Z], )?//'
}

verbs=$("$CLUPDATE" complete commands | grep -vx help)
[[ $verbs == *plan* && $verbs == *lab* ]] || fail "complete commands: $verbs"
render man/clupdate.1
for verb in $verbs; do
	page=man/clupdate-$verb.1
	[[ -f $page ]] || fail "no page for '$verb'"
	render "$page"
	grep -q "^ *clupdate-$verb(1)" man/clupdate.1.txt || fail "clupdate(1) does not list $verb"
	grep -q "^NAME" "$page.txt" && grep -q "^SYNOPSIS" "$page.txt" ||
		fail "$page has no NAME or SYNOPSIS"
	if [[ $verb == lab ]]; then         # its help is written by hand
		for sub in $("$CLUPDATE" complete options lab); do
			grep -q "clupdate lab $sub" "$page.txt" || fail "lab(1) lacks '$sub'"
			for option in $("$CLUPDATE" complete options lab "$sub"); do
				grep -q -- "$option" "$page.txt" || fail "lab(1) lacks $sub $option"
			done
		done
		continue
	fi
	n=0
	for option in $("$CLUPDATE" complete options "$verb"); do
		options_of "$page" | grep -qx -- "$option" ||
			fail "clupdate-$verb(1) does not document $option"
		n=$((n + 1))
	done
	((n >= 2)) || fail "$verb: only $n options listed"
	# The page says what the help says: the same options, in the same order.
	diff <("$CLUPDATE" help "$verb" | grep -oE '^  --[a-z-]+' | sed 's/^  //') \
		<(options_of "$page" | grep -vx -- --help) ||
		fail "$verb: its help and its page list other options"
done

# The format pages: every key of the parsers' tables, as a table entry.
keys_of() { grep -oE '\{ "[a-z-]+", CLU__INI_' "$SRCDIR/$1" | cut -d'"' -f2 | sort -u; }
for format in manifest:lib/manifest.c static:lib/static.c; do
	page=man/clupdate-${format%%:*}.5
	render "$page"
	n=0
	for key in $(keys_of "${format#*:}"); do
		grep -qxF "\\fB${key//-/\\-}\\fR" "$page" || fail "$page does not document key '$key'"
		n=$((n + 1))
	done
	((n >= 5)) || fail "${format#*:}: only $n keys found"
done
