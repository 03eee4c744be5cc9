"""Headless chromium for the report tests (Debian's ``chromium`` alone: no driver, no extra
Python package).

* :func:`probe` opens a copy of a page with a small inline probe script (the copy's
  Content-Security-Policy additionally allows inline scripts, nothing else) that records
  console errors, window / resource errors and CSP violations, counts the images that loaded,
  the indicator rows and the sections, and writes the result into the DOM (``--dump-dom``);
* :func:`chromium` runs it with any arguments (``--screenshot``, ``--enable-logging``);
* :func:`console_lines` picks the console messages out of its log.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from fcsim.report.shell import CSP

__all__ = ["CHROMIUM", "PROBE", "chromium", "console_lines", "probe"]

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists()
                                        else None)

PROBE = """<script>
window.__errs = [];
window.addEventListener('error', function (e) {
  var t = e.target; __errs.push('error: ' + (e.message || (t && (t.src || t.href)) || '?'));
}, true);
document.addEventListener('securitypolicyviolation', function (e) {
  __errs.push('csp: ' + e.blockedURI); });
['error', 'warn'].forEach(function (k) { var f = console[k];
  console[k] = function () { __errs.push(k + ': ' + Array.prototype.join.call(arguments, ' '));
                             f.apply(console, arguments); }; });
window.addEventListener('load', function () {
  var imgs = Array.prototype.slice.call(document.images);
  var r = {errors: __errs, images: imgs.length,
           loaded: imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length,
           rows: document.querySelectorAll('#indicator-table tbody tr.indicator-row').length,
           sections: document.querySelectorAll('section').length};
  var pre = document.createElement('pre'); pre.id = 'probe-result';
  pre.textContent = JSON.stringify(r); document.body.appendChild(pre);
});
</script>"""


def chromium(args: list[str], tmp: Path) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", f"--user-data-dir={tmp / 'profile'}", "--enable-logging=stderr",
           "--v=0", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False,
                          env={**os.environ, "HOME": str(tmp)})


def probe(html_path: Path, tmp: Path) -> dict[str, object]:
    """Open a probed copy of a page and return what the probe saw."""
    page = html_path.read_text(encoding="utf-8")
    assert CSP in page
    allowed = CSP + "; script-src 'unsafe-inline'"
    page = page.replace(CSP, allowed, 1)
    end = page.index(">", page.index(allowed)) + 1  # just after the CSP meta, which applies
    page = page[:end] + PROBE.replace("\n", " ") + page[end:]
    probed = tmp / "probed.html"
    probed.write_text(page, encoding="utf-8")
    res = chromium(["--virtual-time-budget=5000", "--dump-dom", probed.as_uri()], tmp)
    m = re.search(r'<pre id="probe-result">(.*?)</pre>', res.stdout, re.S)
    assert m, f"probe result missing; chromium rc={res.returncode}, stderr={res.stderr[-2000:]}"
    import html as _html

    return json.loads(_html.unescape(m.group(1)))


def console_lines(stderr: str) -> list[str]:
    return [ln for ln in stderr.splitlines() if ":CONSOLE" in ln]
