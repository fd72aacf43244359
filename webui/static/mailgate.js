// Mailgate web UI: small progressive enhancements only; every page works without this file.
(function () {
  "use strict";
  // size each article's HTML body frame to its content (same origin, no scripts inside the frame)
  function fit(frame) {
    try {
      var doc = frame.contentDocument;
      if (doc && doc.body) {
        frame.style.height = Math.min(Math.max(doc.documentElement.scrollHeight + 4, 60), 4000) + "px";
      }
    } catch (e) { /* keep the CSS height */ }
  }
  document.querySelectorAll("iframe.body-html").forEach(function (frame) {
    frame.addEventListener("load", function () { fit(frame); });
    if (frame.contentDocument && frame.contentDocument.readyState === "complete") { fit(frame); }
  });
})();
