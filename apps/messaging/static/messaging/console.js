/* Coastal console: the sidebar's badges stay current without reloading the page.
 *
 * unfold draws a sidebar badge on the server, as the <span> after the item's title inside the item's
 * link, and draws nothing when there is nothing to count. This script asks the badge endpoint
 * (data-badges-url on its <script> tag: /admin/sidebar/badges/, the items this user may see) for the
 * current values and redraws them in place: it changes the number, adds a badge that was not there
 * and removes one that fell to nothing. Every badge it handles carries data-sidebar-badge and
 * data-testid="sidebar-badge".
 *
 * It refreshes on the live events that change a queue (live:notification.new, live:message.new,
 * live:message.read from live.js), after htmx redraws an element marked data-refresh-badges (the
 * thread page marks messages read), and every 60 s.
 */
(function () {
  "use strict";
  if (window.CoastalBadges) return;

  var script = document.currentScript;
  var url = script && script.dataset.badgesUrl;
  if (!url) return;
  var BASE = "font-semibold h-[18px] leading-[18px] ml-2 px-1 relative rounded-xs text-center text-[11px] whitespace-nowrap uppercase min-w-[18px] ";
  var VARIANTS = {  // unfold's own classes (unfold/helpers/app_list_badge.html)
    info: "bg-blue-100 text-blue-700 dark:bg-blue-500/20 dark:text-blue-400",
    success: "bg-green-100 text-green-700 dark:bg-green-500/20 dark:text-green-400",
    warning: "bg-orange-100 text-orange-700 dark:bg-orange-500/20 dark:text-orange-400",
    primary: "bg-primary-100 text-primary-700 dark:bg-primary-500/20 dark:text-primary-400",
    danger: "bg-red-100 text-red-700 dark:bg-red-500/20 dark:text-red-400",
  };
  var timer = null;

  function links(link) {
    var nav = document.getElementById("nav-sidebar-apps");
    if (!nav) return [];
    return Array.prototype.slice.call(nav.querySelectorAll('a[href="' + CSS.escape(link) + '"]'));
  }

  function badgeOf(anchor) {
    var marked = anchor.querySelector(":scope > [data-sidebar-badge]");
    if (marked) return marked;
    // unfold: [icon span] title span [badge span]
    var spans = anchor.querySelectorAll(":scope > span:not(.material-symbols-outlined)");
    if (spans.length < 2) return null;
    var badge = spans[spans.length - 1];
    badge.dataset.sidebarBadge = "";
    badge.dataset.testid = "sidebar-badge";
    return badge;
  }

  function draw(item) {
    links(item.link).forEach(function (anchor) {
      var badge = badgeOf(anchor);
      if (!item.badge) {
        if (badge) badge.remove();
        return;
      }
      if (!badge) {
        badge = document.createElement("span");
        badge.className = BASE + (VARIANTS[item.variant] || VARIANTS.danger);
        badge.dataset.sidebarBadge = "";
        badge.dataset.testid = "sidebar-badge";
        anchor.appendChild(badge);
      }
      if (badge.textContent.trim() !== item.badge) badge.textContent = item.badge;
    });
  }

  function refresh() {
    window.fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data && data.items) data.items.forEach(draw); })
      .catch(function () { /* the next event or the 60 s timer tries again */ });
  }

  function soon() {  // several events at once: one request
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 300);
  }

  function start() {
    var nav = document.getElementById("nav-sidebar-apps");
    if (nav) nav.querySelectorAll("a").forEach(badgeOf);
    ["live:notification.new", "live:message.new", "live:message.read"].forEach(function (type) {
      document.body.addEventListener(type, soon);
    });
    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (event.target && event.target.closest && event.target.closest("[data-refresh-badges]")) soon();
    });
    window.setInterval(refresh, 60000);
  }

  window.CoastalBadges = { refresh: refresh };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
