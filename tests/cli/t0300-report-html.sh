# `clupdate report` of a synthetic run (written by the unit-test program
# test-report --make-journal: two nodes, a retried install, three outage
# windows of which one open and one of 50 ms): the JSON numbers exactly,
# and the HTML page: well-formed, self-contained, and, rendered by
# headless Chromium, showing the outage red and the step bars. Fails when
# Chromium is missing: a page nobody rendered was not checked.
source "$SRCDIR/tests/lib/cli.sh"
source "$SRCDIR/tests/lib/render-html.sh"

# The test program of the same build as the binary under test writes the
# journal: build/tests/test-report for build/clupdate, build/asan/... for
# build/asan/clupdate.
maker=$(dirname "$CLUPDATE")/tests/test-report
[[ -x $maker ]] || fail "$maker is not built (make ${maker#"$SRCDIR"/})"
"$maker" --make-journal state || fail "test-report --make-journal failed"

"$CLUPDATE" report 1 --state-dir state --output-as json >report.json 2>err.txt ||
	fail "report --output-as json failed: $(cat err.txt)"
check() {
	local got
	got=$(jq -c "$1" report.json) || fail "jq '$1' failed"
	[[ $got == "$2" ]] || fail "$1 is $got, expected $2"
}
check '.status.code' 0
check '.report.outages[0].duration_ms' 8050
check '.report.outages[0].step' 2
check '.report.outages[0].step_action' '"install"'
check '.report.outages[1].open' true
check '.report.outages[1].duration_ms' 2500
check '.report.outages[2].duration_ms' 50
check '.report.outages[2].step' 8
check '.report.wall_ms' 52000
check '.report.installer_ms' 39000
check '.report.engine_wait_ms' 7300
check '.report.overhead_ms' 5700
check '.report.acknowledged' 5
check '.report.lost' 2
check '.report.lost_ids' '["m2","m4"]'
check '.report.groups.mail' '{"interruptions":2,"outage_ms":8100}'

"$CLUPDATE" report 1 --state-dir state --output-as html >report.html 2>err.txt ||
	fail "report --output-as html failed: $(cat err.txt)"
[[ ! -s err.txt ]] || fail "report --output-as html wrote to stderr: $(cat err.txt)"
# The page is polyglot (HTML5 that is also well-formed XML), so the strict
# XML parser checks it; libxml2's HTML parser knows only HTML 4 (no <svg>).
xmllint --noout report.html 2>xmllint.txt || fail "report.html is not well-formed: $(cat xmllint.txt)"
[[ ! -s xmllint.txt ]] || fail "xmllint: $(cat xmllint.txt)"
head -1 report.html | grep -qx '<!DOCTYPE html>' || fail "report.html: no HTML5 doctype"
! grep -Eq 'https?://' report.html || fail "report.html references: $(grep -Eo 'https?://[^" ]*' report.html)"
! grep -Eq '<script|<link|<img| src=|@import' report.html || fail "report.html loads or runs something"
(($(grep -c '<g class="lane node-lane"' report.html) == 2)) || fail "expected a lane per node"
(($(grep -c '<g class="lane probe-lane"' report.html) == 2)) || fail "expected a lane per probe"

# Rendered: not blank, with the outage red and the install blue (the
# colours lib/output-html.c draws them in) in quantity.
render_html report.html shot.png 1280,900
read -r -d '' red blue nonwhite colours < <(png_colours shot.png '#d62728' '#2f6fd0') || true
[[ -n ${colours:-} ]] || fail "cannot read the colours of shot.png"
((nonwhite > 50000 && colours > 50)) ||
	fail "the screenshot looks blank ($nonwhite non-white pixels, $colours colours)"
# The 8 s window alone is about 148 x 22 px; the install bars thousands.
((red > 3000)) || fail "the screenshot has $red pixels of the outage red (#d62728), expected > 3000"
((blue > 5000)) || fail "the screenshot has $blue pixels of the install blue (#2f6fd0), expected > 5000"
