/* Coastal live events: one websocket per page at /ws/ (signed in by the session cookie).
 *
 * Every event the server sends ({type: "message.new" | "message.read" | "notification.new" |
 * "job.progress", ...ids}) is dispatched again on document.body as the DOM event "live:<type>"
 * with the event as its detail. Pages react without knowing about the socket:
 *   htmx:    hx-trigger="every 30s, live:notification.new from:body"
 *   scripts: document.body.addEventListener("live:message.new", (e) => e.detail.thread_id)
 * When the socket is down, <body data-live="down"> and the pages' htmx polls carry on alone; it
 * reconnects with a growing delay (1 s to 30 s). window.CoastalLive.subscribe(threadId) follows
 * one thread's reads and typing (the server closes with 4403 when the user is not a participant);
 * CoastalLive.typing(threadId) tells that thread's other followers this user is typing (at most
 * every 3 s).
 */
(function () {
  "use strict";
  if (window.CoastalLive) return;

  var CLOSE_UNAUTHENTICATED = 4401;
  var CLOSE_FORBIDDEN = 4403;
  var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
  var url = scheme + window.location.host + "/ws/";
  var socket = null;
  var delay = 1000;
  var threads = new Set();
  var lastTyping = {};

  function emit(type, detail) {
    document.body.dispatchEvent(new CustomEvent("live:" + type, { detail: detail, bubbles: true }));
  }

  function send(frame) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
  }

  function connect() {
    try {
      socket = new WebSocket(url);
    } catch (error) {
      document.body.dataset.live = "down";
      return;
    }
    socket.onopen = function () {
      delay = 1000;
      document.body.dataset.live = "up";
      threads.forEach(function (id) { send({ type: "subscribe", thread_id: id }); });
      emit("open", {});
    };
    socket.onmessage = function (message) {
      var event;
      try { event = JSON.parse(message.data); } catch (error) { return; }
      if (event && typeof event.type === "string") emit(event.type, event);
    };
    socket.onclose = function (close) {
      document.body.dataset.live = "down";
      emit("close", { code: close.code });
      if (close.code === CLOSE_UNAUTHENTICATED) return;  // signed out: nothing to follow
      if (close.code === CLOSE_FORBIDDEN) threads.clear();  // not a participant: stop asking
      window.setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }

  window.CoastalLive = {
    subscribe: function (threadId) {
      threads.add(threadId);
      send({ type: "subscribe", thread_id: threadId });
    },
    unsubscribe: function (threadId) {
      threads.delete(threadId);
      send({ type: "unsubscribe", thread_id: threadId });
    },
    typing: function (threadId) {
      var now = Date.now();
      if (!threads.has(threadId) || now - (lastTyping[threadId] || 0) < 3000) return;
      lastTyping[threadId] = now;
      send({ type: "typing", thread_id: threadId });
    },
  };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", connect);
  else connect();
})();
