// Contentum CRM: uploads to the knowledge base by drag and drop (or the file picker), with a
// progress bar. Each `form.dropzone` posts its fields and the file to its `data-upload` address;
// the answer names the page to open next, or what was wrong.
"use strict";

(function () {
  function csrfToken() {
    return document.body.dataset.csrfToken || "";
  }

  function showProblem(zone, text) {
    var problem = zone.querySelector(".error");
    problem.textContent = text;
    problem.hidden = !text;
  }

  function send(zone, file) {
    var data = new FormData(zone);
    data.set("file", file, file.name);
    var progress = zone.querySelector("progress");
    var request = new XMLHttpRequest();
    request.open("POST", zone.dataset.upload);
    request.setRequestHeader("X-CSRF-Token", csrfToken());
    request.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) progress.value = Math.round((event.loaded / event.total) * 100);
    });
    request.addEventListener("load", function () {
      var answer = {};
      try { answer = JSON.parse(request.responseText); } catch (ignored) { answer = {}; }
      if (request.status < 300 && answer.location) {
        window.location.assign(answer.location);
        return;
      }
      progress.hidden = true;
      zone.classList.remove("busy");
      var problems = answer.problems ? Object.values(answer.problems) : [request.statusText];
      showProblem(zone, problems.join(" "));
    });
    request.addEventListener("error", function () {
      progress.hidden = true;
      zone.classList.remove("busy");
      showProblem(zone, zone.dataset.failed || "Upload failed.");
    });
    showProblem(zone, "");
    progress.value = 0;
    progress.hidden = false;
    zone.classList.add("busy");
    request.send(data);
  }

  function init(zone) {
    if (zone.dataset.ready) return;
    zone.dataset.ready = "1";
    zone.addEventListener("dragover", function (event) {
      event.preventDefault();
      zone.classList.add("over");
    });
    zone.addEventListener("dragleave", function () { zone.classList.remove("over"); });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      zone.classList.remove("over");
      var files = event.dataTransfer && event.dataTransfer.files;
      if (files && files.length) send(zone, files[0]);
    });
    zone.querySelector("input[type=file]").addEventListener("change", function (event) {
      if (event.target.files.length) send(zone, event.target.files[0]);
    });
    zone.addEventListener("submit", function (event) { event.preventDefault(); });
  }

  function initAll() {
    document.querySelectorAll("form.dropzone").forEach(init);
  }

  document.addEventListener("DOMContentLoaded", function () {
    initAll();
    document.body.addEventListener("htmx:afterSettle", initAll);
  });
})();
