/* A thread's page, in the console and in the member portal: follow this thread's read receipts and typing on the live socket
 * (window.CoastalLive.subscribe from live.js; the server checks that the user takes part), say who is
 * typing, tell the others while this user types, and keep the newest message in view when htmx
 * redraws the list. */
(function () {
  "use strict";
  var page = document.querySelector("[data-thread-id]");
  if (!page) return;
  var threadId = Number(page.dataset.threadId);
  if (window.CoastalLive && threadId) window.CoastalLive.subscribe(threadId);

  var names = {};
  var namesScript = document.getElementById("thread-participant-names");
  if (namesScript) names = JSON.parse(namesScript.textContent);
  var typing = document.querySelector("[data-testid=typing]");
  var typingTimer = null;
  document.body.addEventListener("live:message.typing", function (event) {
    if (!typing || event.detail.thread_id !== threadId) return;
    typing.textContent = (names[event.detail.user_id] || "Someone") + " is typing…";
    window.clearTimeout(typingTimer);
    typingTimer = window.setTimeout(function () { typing.textContent = ""; }, 6000);
  });
  document.body.addEventListener("live:message.new", function (event) {
    if (typing && event.detail.thread_id === threadId) typing.textContent = "";
  });
  var composer = document.querySelector("[data-thread-composer] textarea");
  if (composer && window.CoastalLive) {
    composer.addEventListener("input", function () { window.CoastalLive.typing(threadId); });
  }

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
