// Contentum CRM: the calendar page (FullCalendar) and its dialogs. Loaded by calendar pages only.
"use strict";

(function () {
  function dialog() { return document.getElementById("activity-dialog"); }

  function openDialog(url) {
    window.htmx.ajax("GET", url, { target: "#activity-dialog-body", swap: "innerHTML" });
  }

  function complain(message) {
    document.body.dispatchEvent(new CustomEvent("crm:error", { detail: { value: message } }));
  }

  // A drag or resize asks the server; a refusal puts the event back and says why.
  function mover(calendar) {
    return function (info) {
      var body = new URLSearchParams({
        start: info.event.startStr,
        end: info.event.endStr || "",
        all_day: String(info.event.allDay),
      });
      fetch("/calendar/activities/" + info.event.extendedProps.activity + "/move", {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRF-Token": document.body.dataset.csrfToken },
        body: body,
      }).then(function (response) {
        return response.json().then(function (answer) {
          if (!response.ok) {
            info.revert();
            complain(answer.message);
          }
          calendar.refetchEvents();
        });
      }).catch(function () { info.revert(); });
    };
  }

  function narrow() {
    return window.matchMedia("(max-width: 800px)").matches;
  }

  function initCalendar() {
    var element = document.getElementById("calendar");
    if (!element || !window.FullCalendar) return null;
    var calendar = new window.FullCalendar.Calendar(element, {
      // A phone has room for one day's hours or a list, not seven columns.
      initialView: narrow() ? "listWeek" : "timeGridWeek",
      locale: element.dataset.locale,
      // The user's own zone, as the dialogs, the desk and the deal pages show times; not the
      // browser's (a laptop set to another zone showed the grid an hour or more apart).
      timeZone: element.dataset.timeZone || "local",
      firstDay: 1,
      scrollTime: "07:30:00",
      nowIndicator: true,
      selectable: true,
      editable: true,
      headerToolbar: narrow()
        ? { start: "prev,next today", center: "title", end: "timeGridDay,listWeek" }
        : { start: "prev,next today", center: "title", end: "dayGridMonth,timeGridWeek,timeGridDay,listWeek" },
      // A height of its own, so a day's hours open at the morning (scrollTime), not at midnight.
      height: narrow() ? Math.max(420, window.innerHeight - 160) : 760,
      // A week's list (the Polish words of FullCalendar call it a day's plan).
      listText: element.dataset.listLabel,
      events: { url: element.dataset.events, failure: function () { complain("…"); } },
      select: function (info) {
        var query = new URLSearchParams({ start: info.startStr, end: info.endStr, all_day: String(info.allDay) });
        openDialog("/calendar/activities/new?" + query.toString());
        calendar.unselect();
      },
      eventClick: function (info) {
        if (info.jsEvent) info.jsEvent.preventDefault();
        var props = info.event.extendedProps;
        var query = props.occurrence ? "?" + new URLSearchParams({ occurrence: props.occurrence }).toString() : "";
        openDialog("/calendar/activities/" + props.activity + query);
      },
    });
    var move = mover(calendar);
    calendar.setOption("eventDrop", move);
    calendar.setOption("eventResize", move);
    calendar.render();
    if (element.dataset.open) openDialog("/calendar/activities/" + element.dataset.open);
    return calendar;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var calendar = initCalendar();
    document.body.addEventListener("htmx:afterSwap", function (event) {
      var box = dialog();
      if (event.detail.target.id === "activity-dialog-body" && box && !box.open) box.showModal();
    });
    document.body.addEventListener("click", function (event) {
      if (!event.target.classList.contains("close-dialog")) return;
      var box = dialog();
      if (box && box.open) box.close();
    });
    document.body.addEventListener("crm:calendar-changed", function () {
      var box = dialog();
      if (box && box.open) box.close();
      if (calendar) calendar.refetchEvents();
      else window.location.reload();
    });
  });
})();
