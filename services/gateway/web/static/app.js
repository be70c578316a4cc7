// Contentum CRM: the little script every page loads. No inline scripts (the CSP forbids them).
"use strict";

(function () {
  function showCount(count) {
    var badge = document.getElementById("bell-count");
    if (!badge) return;
    badge.textContent = String(count);
    badge.hidden = count === 0;
  }

  function toast(notification) {
    var box = document.getElementById("toasts");
    if (!box) return;
    var item = document.createElement("div");
    item.className = "toast";
    item.textContent = notification.title + (notification.body ? " — " + notification.body : "");
    box.appendChild(item);
    setTimeout(function () { item.remove(); }, 8000);
  }

  // The bell listens to the server's notification stream; EventSource reconnects by itself.
  function listen() {
    var bell = document.getElementById("bell");
    if (!bell || !window.EventSource) return;
    var stream = new EventSource(bell.dataset.stream);
    stream.addEventListener("unread", function (event) {
      showCount(JSON.parse(event.data).count);
    });
    stream.addEventListener("notification", function (event) {
      var notification = JSON.parse(event.data);
      showCount(notification.unread);
      toast(notification);
    });
  }

  document.addEventListener("DOMContentLoaded", listen);
})();
