// Contentum CRM: the desk. Widgets are dragged by their heads (SortableJS) or moved with
// their arrow buttons (the keyboard's way), widened with the width button; every change
// sends the whole order to the server, which keeps it as the user's desk.
"use strict";

(function () {
  function desk() { return document.getElementById("desk"); }

  function widgets() {
    return Array.prototype.slice.call(desk().querySelectorAll("li.widget"));
  }

  function save() {
    var body = new URLSearchParams();
    widgets().forEach(function (item) { body.append("widgets", item.dataset.name + ":" + item.dataset.size); });
    var reset = document.getElementById("reset-desk");
    if (reset) { reset.disabled = false; reset.removeAttribute("title"); }
    return fetch(desk().dataset.layout, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": document.body.dataset.csrfToken, "HX-Request": "true" },
      body: body,
    });
  }

  function announce(item) {
    var status = document.getElementById("desk-status");
    if (!status) return;
    var place = widgets().indexOf(item) + 1;
    status.textContent = desk().dataset.moved.replace("{name}", item.dataset.label).replace("{place}", String(place));
  }

  function move(button) {
    var item = button.closest("li.widget");
    var by = Number(button.dataset.by);
    var sibling = by < 0 ? item.previousElementSibling : item.nextElementSibling;
    if (!sibling) return;
    if (by < 0) desk().insertBefore(item, sibling);
    else desk().insertBefore(sibling, item);
    button.focus();
    announce(item);
    save();
  }

  function resize(button) {
    var item = button.closest("li.widget");
    var size = Number(item.dataset.size) % 3 + 1;
    item.classList.remove("size-" + item.dataset.size);
    item.dataset.size = String(size);
    item.classList.add("size-" + size);
    save();
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!desk()) return;
    if (window.Sortable) {
      window.Sortable.create(desk(), {
        handle: ".widget-head",
        draggable: "li.widget",
        animation: 150,
        forceFallback: true,
        onEnd: function (event) { if (event.oldIndex !== event.newIndex) save(); },
      });
    }
    desk().dataset.ready = "1"; // arranged by hand from now on (tests wait for it)
    desk().addEventListener("click", function (event) {
      var button = event.target.closest("button");
      if (!button) return;
      if (button.classList.contains("move")) move(button);
      else if (button.classList.contains("resize")) resize(button);
    });
    // Dialogs of the quick actions: a new deal or activity opens over the desk.
    document.body.addEventListener("htmx:afterSwap", function (event) {
      var box = event.detail.target.parentElement;
      if (event.detail.target.id === "activity-dialog-body" && box && !box.open) box.showModal();
    });
    document.body.addEventListener("click", function (event) {
      if (!event.target.classList.contains("close-dialog")) return;
      var box = event.target.closest("dialog");
      if (box) box.close();
    });
    document.body.addEventListener("crm:calendar-changed", function () {
      var box = document.getElementById("activity-dialog");
      if (box && box.open) box.close();
    });
  });
})();
