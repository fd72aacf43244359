// Live ticket lists: poll /live/changes every 20 s (not while the tab is hidden) and offer a reload.
(function () {
  "use strict";
  var marker = document.getElementById("ticket-count") || document.querySelector("[data-count]");
  var banner = document.getElementById("live-banner");
  if (!marker || !banner || !window.fetch) { return; }
  var every = parseInt(banner.dataset.interval || "20000", 10);
  var base = banner.dataset.url;
  var queue = new URLSearchParams(window.location.search).get("queue");
  var cursor = null;
  function url() {
    var params = new URLSearchParams();
    if (cursor) { params.set("h", cursor.h); params.set("t", cursor.t); }
    if (queue) { params.set("queue", queue); }
    return base + "?" + params.toString();
  }
  function show(data) {
    var parts = [];
    if (data["new"] > 0) { parts.push(data["new"] + " new ticket" + (data["new"] === 1 ? "" : "s")); }
    if (data.changed > 0) { parts.push(data.changed + " updated"); }
    if (!parts.length) { return; }
    banner.querySelector(".live-text").textContent = parts.join(", ") + " — ";
    banner.hidden = false;
  }
  function poll() {
    if (document.hidden) { return; }
    fetch(url(), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        if (cursor) { show(data); } else { cursor = data.cursor; }
      })
      .catch(function () { /* try again at the next tick */ });
  }
  poll();
  window.setInterval(poll, every);
})();
