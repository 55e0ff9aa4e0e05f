/* The console's thread page: follow this thread's read receipts on the live socket
 * (window.CoastalLive.subscribe from live.js; the server checks that the user takes part), and keep
 * the newest message in view when htmx redraws the list. */
(function () {
  "use strict";
  var page = document.querySelector("[data-thread-id]");
  if (!page) return;
  var threadId = Number(page.dataset.threadId);
  if (window.CoastalLive && threadId) window.CoastalLive.subscribe(threadId);

  var list = document.getElementById("thread-messages");
  if (!list) return;
  function nearBottom() {
    return window.innerHeight + window.scrollY >= document.body.scrollHeight - 200;
  }
  var follow = true;
  list.addEventListener("htmx:beforeSwap", function () { follow = nearBottom(); });
  list.addEventListener("htmx:afterSwap", function () {
    var last = list.querySelector("[data-testid=message]:last-of-type");
    if (follow && last) last.scrollIntoView({ block: "nearest" });
  });
})();
