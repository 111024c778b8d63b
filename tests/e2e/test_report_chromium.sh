#!/bin/bash
# The report test's HTML (BUILD/report/report.html, fixture report_html) opened in headless
# Chromium as a reader would: the DOM it builds holds the leaderboard table with 3 rows, one curve
# figure per metric, the validity panel and an engraved score (when abcm2ps made one); Chromium
# logs no console message (the page has no script, so nothing may complain); a 1400 px wide
# screenshot is kept beside it (BUILD/report/report.png, an artefact, never committed).
# Usage: test_report_chromium.sh REPORT_DIR. Exit 77 (skip) when chromium is not installed.
set -euo pipefail
dir=$(realpath "$1")  # file:// URLs need an absolute path
chromium=$(command -v chromium || command -v chromium-browser || true)
[[ -n "$chromium" ]] || { echo "chromium is not installed: skipped"; exit 77; }
[[ -f "$dir/report.html" ]] || { echo "no $dir/report.html (run test_report first)"; exit 1; }
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
flags=(--headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking
       --disable-component-update --disable-sync --user-data-dir="$profile"
       --enable-logging=stderr --v=0)
timeout 120 "$chromium" "${flags[@]}" --dump-dom "file://$dir/report.html" \
  >"$dir/dom.html" 2>"$dir/chromium.log"
timeout 120 "$chromium" "${flags[@]}" --window-size=1400,2400 --hide-scrollbars \
  --screenshot="$dir/report.png" "file://$dir/report.html" >/dev/null 2>>"$dir/chromium.log"

python3 - "$dir/dom.html" "$dir/report.html" "$dir/chromium.log" <<'PY'
import html.parser, sys
dom_file, page_file, log_file = sys.argv[1:4]

class Dom(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.rows, self.curves, self.validity, self.scores = [], 0, [], 0, 0
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = a.get("class", "")
        inside = [t for t, _ in self.stack]
        ids = [i for _, i in self.stack]
        if tag == "tr" and cls == "model-row" and "leaderboard" in ids:
            self.rows += 1
        if tag == "figure" and cls == "curve":
            self.curves.append((a.get("data-suite"), a.get("data-metric")))
        if tag == "svg" and "figure" in inside and self.stack[-1][1] == "validity":
            self.validity += 1
        if tag == "svg" and self.stack and self.stack[-1][1] == "score":
            self.scores += 1
        if tag not in ("br", "img", "meta", "line", "rect", "circle", "path", "polygon",
                       "polyline", "input", "hr", "link", "source"):
            self.stack.append((tag, a.get("id") or cls))
    def handle_endtag(self, tag):
        if all(t != tag for t, _ in self.stack):
            return  # the end of an element never pushed (void or SVG leaf)
        while self.stack:
            t, _ = self.stack.pop()
            if t == tag:
                break

dom = Dom()
dom.feed(open(dom_file, encoding="utf-8").read())
page = open(page_file, encoding="utf-8").read()
log = open(log_file, encoding="utf-8", errors="replace").read()
problems = []
if dom.rows != 3:
    problems.append(f"leaderboard rows: {dom.rows}, expected 3")
metrics = len(set(dom.curves))
if metrics < 3 or metrics != len(dom.curves):
    problems.append(f"curves: {dom.curves} (one figure per metric expected)")
if dom.validity < 1:
    problems.append("no validity panel")
if "abcm2ps is not installed" not in page and dom.scores < 1:
    problems.append("no engraved score SVG")
console = [l for l in log.splitlines() if "CONSOLE" in l]
if console:
    problems.append("console messages: " + " | ".join(console[:3]))
print(f"DOM: {dom.rows} leaderboard rows, {len(dom.curves)} curves, {dom.validity} validity "
      f"panel(s), {dom.scores} engraved score(s); {len(console)} console messages")
if problems:
    print("FAILED: " + "; ".join(problems))
    sys.exit(1)
PY
[[ -s "$dir/report.png" ]] || { echo "no screenshot"; exit 1; }
echo "screenshot: $dir/report.png ($(stat -c %s "$dir/report.png") bytes)"
