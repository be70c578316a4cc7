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

  // A dialog's address opened on its own (a bookmark, a reload) comes back as its page with
  // `open`: the page opens the dialog, as a click would have.
  var DIALOG_TARGETS = [["/calendar/activities/", "#activity-dialog-body"], ["/deals/new", "#deal-dialog-body"]];

  function openAsked() {
    var asked = new URLSearchParams(window.location.search).get("open") || "";
    if (asked.charAt(0) !== "/" || asked.charAt(1) === "/") return;
    DIALOG_TARGETS.forEach(function (pair) {
      if (asked.indexOf(pair[0]) === 0 && document.querySelector(pair[1])) {
        window.htmx.ajax("GET", asked, { target: pair[1], swap: "innerHTML" });
      }
    });
  }

  // On a phone the sections hide behind the menu button, which shows and hides them.
  function menu() {
    var toggle = document.getElementById("menu-toggle");
    if (!toggle) return;
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", String(open));
      toggle.closest(".topbar").classList.toggle("nav-open", open);
    });
  }

  // An activity's end moves with its start and keeps how long it lasts, as calendars do: a
  // call moved to tomorrow is not refused for ending today.
  function keepDuration() {
    function local(time) {
      var at = new Date(time - new Date(time).getTimezoneOffset() * 60000);
      return at.toISOString().slice(0, 16);
    }
    function startOf(event) {
      var input = event.target;
      return input.name === "start" && input.closest && input.closest(".activity-form") ? input : null;
    }
    document.addEventListener("focusin", function (event) {
      var start = startOf(event);
      if (start) start.dataset.was = start.value;
    });
    document.addEventListener("change", function (event) {
      var start = startOf(event);
      if (!start) return;
      var end = start.form.elements.end;
      var was = Date.parse(start.dataset.was || ""), now = Date.parse(start.value);
      var until = Date.parse(end.value);
      start.dataset.was = start.value;
      if (isNaN(was) || isNaN(now) || isNaN(until) || until < was) return;
      end.value = local(now + (until - was));
    });
  }

  // The bell listens to the server's notification stream; EventSource reconnects by itself.
  // A new notification updates the count, shows a toast and the open list; one asking for an
  // outcome also refreshes the count of activities awaiting one (next to Calendar).
  function listen() {
    var bell = document.getElementById("bell");
    if (!bell || !window.EventSource) return;
    var stream = new EventSource(bell.dataset.stream);
    stream.addEventListener("unread", function (event) {
      showCount(JSON.parse(event.data).count);
    });
    // A change of the feed (a new post, a comment, a reaction): feed.js updates what is shown.
    stream.addEventListener("feed", function (event) {
      document.body.dispatchEvent(new CustomEvent("crm:feed", { detail: JSON.parse(event.data) }));
    });
    stream.addEventListener("notification", function (event) {
      var notification = JSON.parse(event.data);
      showCount(notification.unread);
      toast(notification);
      if (notification.kind === "outcome") window.htmx.trigger(document.body, "crm:awaiting-changed");
      window.htmx.trigger(document.body, "crm:notified", { kind: notification.kind }); // live desk widgets
      if (panelOpen()) loadPanel();
    });
  }

  // The bell's dropdown: the newest notifications, loaded each time it opens.
  function panelOpen() {
    var panel = document.getElementById("bell-panel");
    return Boolean(panel && !panel.hidden);
  }

  function loadPanel() {
    var bell = document.getElementById("bell");
    window.htmx.ajax("GET", bell.dataset.panel, { target: "#bell-panel", swap: "innerHTML" });
  }

  function showPanel(show) {
    var bell = document.getElementById("bell");
    var panel = document.getElementById("bell-panel");
    if (!bell || !panel || panel.hidden === !show) return;
    panel.hidden = !show;
    bell.setAttribute("aria-expanded", String(show));
    if (show) loadPanel();
  }

  function initBell() {
    var bell = document.getElementById("bell");
    if (!bell) return;
    bell.addEventListener("click", function () { showPanel(!panelOpen()); });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && panelOpen()) { showPanel(false); bell.focus(); }
    });
    document.addEventListener("click", function (event) {
      if (panelOpen() && !event.target.closest(".bell-menu")) showPanel(false);
    });
    document.body.addEventListener("crm:unread", function (event) { showCount(event.detail.count); });
  }

  // The kanban board: a dropped card asks the server to move the deal; when the stage needs
  // more, the server answers with a dialog asking exactly for that.
  function initBoard() {
    if (!window.Sortable) return;
    document.querySelectorAll(".board .cards").forEach(function (list) {
      if (list.dataset.sortable) return;
      list.dataset.sortable = "1";
      window.Sortable.create(list, {
        group: "board",
        animation: 150,
        forceFallback: true,
        onEnd: function (event) {
          if (event.from === event.to) return;
          window.htmx.ajax("POST", "/deals/" + event.item.dataset.dealId + "/move", {
            source: event.item,
            target: "#move-dialog-body",
            swap: "innerHTML",
            values: { stage_id: event.to.dataset.stageId },
          });
        },
      });
    });
  }

  function refreshBoard() {
    var board = document.getElementById("board");
    if (!board) return;
    window.htmx.ajax("GET", board.dataset.refresh, { target: "#board", select: "#board", swap: "outerHTML" });
  }

  function closeDialog() {
    ["move-dialog", "deal-dialog"].forEach(function (id) {
      var dialog = document.getElementById(id);
      if (dialog && dialog.open) dialog.close();
    });
  }

  // A dialog opens when the server sends what goes in it (a form for a new deal, a stage's needs).
  function openDialogOf(target) {
    var dialog = target && target.parentElement;
    if (dialog && dialog.tagName === "DIALOG" && !dialog.open) dialog.showModal();
  }

  // Plan charts: each canvas names the JSON block holding its data (the CSP allows no inline
  // script); Chart.js draws on the canvas, without animation.
  var SERIES_COLOURS = ["#8da4c4", "#1f6feb", "#067647", "#b54708"];

  function drawCharts() {
    if (!window.Chart) return;
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var source = document.getElementById(canvas.dataset.chart);
      if (!source || window.Chart.getChart(canvas)) return;
      var spec = JSON.parse(source.textContent);
      var datasets = spec.datasets.map(function (series, i) {
        var colour = SERIES_COLOURS[i % SERIES_COLOURS.length];
        return { label: series.label, data: series.data, backgroundColor: colour, borderColor: colour };
      });
      // Amounts as the page's language writes money (`250 000 zł`, `PLN 250,000`).
      var money = new Intl.NumberFormat(document.documentElement.lang || "pl", {
        style: "currency", currency: spec.currency || "PLN", maximumFractionDigits: 0,
      });
      new window.Chart(canvas, {
        type: spec.type,
        data: { labels: spec.labels, datasets: datasets },
        options: {
          animation: false,
          responsive: true,
          maintainAspectRatio: false,
          locale: document.documentElement.lang || "pl",
          scales: { y: { beginAtZero: true, ticks: { callback: function (value) { return money.format(value); } } } },
          plugins: {
            tooltip: {
              callbacks: {
                label: function (item) { return item.dataset.label + ": " + money.format(item.parsed.y); },
              },
            },
          },
        },
      });
    });
  }

  // The star in the top bar pins the open page, with its query (a list's filters), to the desk.
  function initPin() {
    var form = document.getElementById("pin-page");
    if (!form) return;
    form.elements.url.value = window.location.pathname + window.location.search;
    form.elements.label.value = document.title.split(" · ")[0];
  }

  // The search box: Ctrl+K (or ⌘K) goes to it; arrows walk the hits, Enter opens one, Escape
  // closes them. Without a chosen hit, Enter opens the page of all hits.
  function searchHits() {
    return Array.prototype.slice.call(document.querySelectorAll("#quick-results a"));
  }

  function showHits(show) {
    var box = document.getElementById("quick-results");
    var input = document.getElementById("quick-search");
    if (!box || !input) return;
    box.hidden = !show;
    input.setAttribute("aria-expanded", String(show));
  }

  function choose(by) {
    var hits = searchHits();
    if (!hits.length) return;
    var at = hits.indexOf(document.activeElement);
    var next = at + by;
    if (next < 0) { document.getElementById("quick-search").focus(); return; }
    hits[Math.min(next, hits.length - 1)].focus();
  }

  function initSearch() {
    var input = document.getElementById("quick-search");
    if (!input) return;
    document.addEventListener("keydown", function (event) {
      if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "k") {
        event.preventDefault();
        input.focus();
        input.select();
        return;
      }
      if (!event.target.closest || !event.target.closest(".quick-search")) return;
      if (event.key === "ArrowDown") { event.preventDefault(); showHits(true); choose(1); }
      else if (event.key === "ArrowUp") { event.preventDefault(); choose(-1); }
      else if (event.key === "Escape") { showHits(false); input.focus(); }
    });
    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (event.detail.target.id === "quick-results") showHits(input.value.trim() !== "");
    });
    document.addEventListener("click", function (event) {
      if (!event.target.closest(".quick-search")) showHits(false);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    menu();
    openAsked();
    keepDuration();
    listen();
    initPin();
    initSearch();
    initBell();
    initBoard();
    drawCharts();
    document.body.addEventListener("htmx:afterSettle", initBoard);
    document.body.addEventListener("htmx:afterSettle", drawCharts);
    document.body.addEventListener("htmx:afterSwap", function (event) {
      var id = event.detail.target.id;
      if (id === "move-dialog-body" || id === "deal-dialog-body") openDialogOf(event.detail.target);
    });
    // A move given up (the dialog closed) leaves a deal's stage list showing where it is.
    var moveDialog = document.getElementById("move-dialog");
    if (moveDialog) moveDialog.addEventListener("close", function () {
      document.querySelectorAll(".move-stage select").forEach(function (select) {
        Array.prototype.forEach.call(select.options, function (option, index) {
          if (option.defaultSelected) select.selectedIndex = index;
        });
      });
    });
    document.body.addEventListener("crm:moved", function () {
      closeDialog();
      refreshBoard();
      if (document.querySelector(".move-stage")) window.location.reload(); // a deal's own page
    });
    document.body.addEventListener("crm:saved", function () { closeDialog(); refreshBoard(); });
    document.body.addEventListener("crm:told", function (event) {
      toast({ title: event.detail.value || "", body: "" });
    });
    document.body.addEventListener("crm:error", function (event) {
      toast({ title: event.detail.value || "Error", body: "" });
      refreshBoard();
    });
    // A body over the limit is refused before any page sees it: say so where it was sent.
    document.body.addEventListener("htmx:responseError", function (event) {
      if (event.detail.xhr.status === 413) toast({ title: document.body.dataset.tooLarge, body: "" });
    });
    document.body.addEventListener("click", function (event) {
      if (event.target.closest("#deal-dialog") && event.target.classList.contains("close-dialog")) {
        closeDialog();
        return;
      }
      if (!event.target.classList.contains("cancel-move")) return;
      closeDialog();
      refreshBoard(); // the card goes back where it was
    });
  });
})();
