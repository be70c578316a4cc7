// Company services: the form designer (reorder fields by dragging, remove one) and the queue's
// "select all". No inline scripts (the CSP forbids them).
"use strict";

(function () {
  function changed() {
    if (window.htmx) window.htmx.trigger(document.body, "crm:designer-changed");
  }

  function initDesigner() {
    document.querySelectorAll(".designer-rows").forEach(function (list) {
      if (list.dataset.sortable || !window.Sortable) return;
      list.dataset.sortable = "1";
      window.Sortable.create(list, { handle: ".handle", animation: 120, onEnd: changed });
    });
  }

  document.addEventListener("click", function (event) {
    var remove = event.target.closest(".designer-row .remove-row");
    if (remove) {
      remove.closest(".designer-row").remove();
      changed();
    }
  });

  document.addEventListener("change", function (event) {
    if (event.target.id !== "select-all") return;
    var checked = event.target.checked;
    document.querySelectorAll("#request-rows input[name=request_ids]").forEach(function (box) {
      box.checked = checked;
    });
  });

  document.addEventListener("DOMContentLoaded", function () {
    initDesigner();
    document.body.addEventListener("htmx:afterSettle", function (event) {
      initDesigner();
      // A row added to the designer changes the preview; the preview's own answer does not
      // (asking again then would ask for ever).
      if (event.target.closest && event.target.closest("#designer")) changed();
    });
  });
})();
