# Helpers for tests of HTML pages: render one with headless Chromium and
# look at the pixels of the screenshot. Sourced after tests/lib/cli.sh
# (uses fail). Chromium and python3 come from scripts/install-deps
# (chromium directly, python3 as a dependency of pacemaker); a missing one
# fails the test, loudly: a page nobody rendered was not checked.

# render_html PAGE PNG [WIDTH,HEIGHT]: a screenshot of the file PAGE.
render_html() {
	local page=$1 png=$2 size=${3:-1280,900} profile log rc=0
	command -v chromium >/dev/null ||
		fail "chromium is not installed (scripts/install-deps installs it): cannot render $page"
	profile=$(mktemp -d)
	log=$(mktemp)
	# No network, no first-run work; --no-sandbox because tests may run as root.
	# The screenshot waits for every compositor stage: without that, about
	# one in twenty was taken with part of the page not yet drawn (t0300:
	# the outage's 3000 red pixels seen as 403).
	timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic \
		--run-all-compositor-stages-before-draw \
		--no-first-run --disable-background-networking --disable-component-update \
		--disable-sync --hide-scrollbars --force-color-profile=srgb \
		--user-data-dir="$profile" --window-size="$size" \
		--screenshot="$png" "file://$(cd "$(dirname "$page")" && pwd)/$(basename "$page")" \
		>"$log" 2>&1 || rc=$?
	rm -rf "$profile"
	if ((rc != 0)) || [[ ! -s $png ]]; then
		cat "$log" >&2
		rm -f "$log"
		fail "chromium could not render $page (exit $rc)"
	fi
	rm -f "$log"
}

# png_colours PNG #RRGGBB...: for each colour, the number of pixels of exactly
# that colour; then the number of pixels that are not white and the number of
# distinct colours (a blank page has 1). One number per line.
png_colours() {
	command -v python3 >/dev/null ||
		fail "python3 is not installed (pacemaker, from scripts/install-deps, brings it)"
	python3 - "$@" <<-'EOF'
	import struct, sys, zlib

	def pixels(path):
	    data = open(path, 'rb').read()
	    if data[:8] != b'\x89PNG\r\n\x1a\n':
	        sys.exit(path + ': not a PNG')
	    pos, idat, head = 8, b'', None
	    while pos < len(data):
	        length, kind = struct.unpack('>I4s', data[pos:pos + 8])
	        body = data[pos + 8:pos + 8 + length]
	        if kind == b'IHDR':
	            head = struct.unpack('>IIBBBBB', body)
	        elif kind == b'IDAT':
	            idat += body
	        pos += 12 + length
	    width, height, depth, colour, _, _, interlace = head
	    if depth != 8 or colour not in (2, 6) or interlace:
	        sys.exit(path + ': unsupported PNG (depth %d, colour type %d)' % (depth, colour))
	    bpp = 3 if colour == 2 else 4
	    raw, stride = zlib.decompress(idat), width * bpp
	    prev, out = bytearray(stride), []
	    for y in range(height):
	        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
	        for i in range(stride):
	            a = line[i - bpp] if i >= bpp else 0
	            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
	            if kind == 1: line[i] = (line[i] + a) & 255
	            elif kind == 2: line[i] = (line[i] + b) & 255
	            elif kind == 3: line[i] = (line[i] + ((a + b) >> 1)) & 255
	            elif kind == 4:
	                p = a + b - c
	                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
	                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
	        out.append(bytes(line))
	        prev = line
	    return out, bpp

	rows, bpp = pixels(sys.argv[1])
	counts = {}
	for row in rows:
	    for i in range(0, len(row), bpp):
	        rgb = row[i:i + 3]
	        counts[rgb] = counts.get(rgb, 0) + 1
	for want in sys.argv[2:]:
	    print(counts.get(bytes.fromhex(want.lstrip('#')), 0))
	print(sum(n for rgb, n in counts.items() if rgb != b'\xff\xff\xff'))
	print(len(counts))
	EOF
}
