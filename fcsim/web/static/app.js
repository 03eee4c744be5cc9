/* fcsim front desk: live clocks without a build step.
 * - [data-poll] containers re-fetch their HTML fragment every data-poll-ms milliseconds;
 * - every .clock[data-deadline-ms] counts down each second against the server's clock
 *   (offset from the fragment's data-server-now-ms), turning "about_to_breach" at its margin
 *   and "breached" when no time is left; the next poll brings the server's own verdict.
 * No user data is ever evaluated: fragments are server-rendered, escaped HTML. */
(function () {
  "use strict";
  var offsetMs = 0;

  function syncOffset(root) {
    var el = root.querySelector("[data-server-now-ms]");
    if (el) {
      offsetMs = Number(el.getAttribute("data-server-now-ms")) - Date.now();
    }
  }

  function fmt(seconds) {
    var sign = seconds < 0 ? "\u2212" : "";
    var s = Math.floor(Math.abs(seconds));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    var mm = h ? String(m).padStart(2, "0") : String(m);
    return sign + (h ? h + ":" : "") + mm + ":" + String(r).padStart(2, "0");
  }

  function tick() {
    var now = Date.now() + offsetMs;
    document.querySelectorAll(".clock[data-deadline-ms]").forEach(function (el) {
      var deadline = Number(el.getAttribute("data-deadline-ms"));
      if (!deadline) { return; }
      var left = (deadline - now) / 1000;
      var margin = Number(el.getAttribute("data-margin-ms") || "60000") / 1000;
      var state = el.getAttribute("data-state");
      if (state !== "breached") {
        state = left < 0 ? "breached" : (left <= margin ? "about_to_breach" : "running");
      }
      el.classList.remove("running", "about_to_breach", "breached");
      el.classList.add(state);
      var b = el.querySelector(".left");
      if (b) { b.textContent = fmt(left); }
    });
  }

  function poll(el) {
    var url = el.getAttribute("data-poll");
    fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (r) {
        if (r.status === 401 || r.redirected) { window.location.reload(); return null; }
        return r.ok ? r.text() : null;
      })
      .then(function (html) {
        if (html !== null && html !== undefined) {
          el.innerHTML = html;
          syncOffset(el);
          tick();
          el.setAttribute("data-polled", String(Date.now()));
        }
      })
      .catch(function () { /* offline for a moment: try again at the next poll */ });
  }

  document.addEventListener("DOMContentLoaded", function () {
    syncOffset(document);
    tick();
    setInterval(tick, 1000);
    document.querySelectorAll("[data-poll]").forEach(function (el) {
      var every = Number(el.getAttribute("data-poll-ms") || "5000");
      setInterval(function () { poll(el); }, every);
    });
  });
})();
