// The feed in the page: new posts, comments and reactions arrive without a reload (the server
// says which post changed over the notification stream; the card is asked for as the reader),
// and @ in a post or a comment suggests the people it may mention.
"use strict";

(function () {
  function cardsOf(id) {
    return document.querySelectorAll('[data-post-id="' + id + '"]');
  }

  function fetchCard(id) {
    return fetch("/feed/posts/" + id + "/card", {
      credentials: "same-origin",
      headers: { "HX-Request": "true" },
    }).then(function (answer) { return answer.ok ? answer.text() : null; });
  }

  function element(html) {
    var holder = document.createElement("div");
    holder.innerHTML = html.trim();
    return holder.firstElementChild;
  }

  // A list shows each post once (a post written here arrives both as the answer and live).
  function dedupe() {
    document.querySelectorAll("[data-live]").forEach(function (list) {
      var seen = {};
      list.querySelectorAll(":scope > [data-post-id]").forEach(function (card) {
        if (seen[card.dataset.postId]) card.remove();
        seen[card.dataset.postId] = true;
      });
    });
  }

  // A changed card is replaced, but a comment being written in it is kept, and a card being
  // edited is left alone.
  function replace(card, html) {
    if (card.querySelector("form.edit-post")) return;
    var fresh = element(html);
    if (!fresh) return;
    var typing = card.querySelector(".comment-form textarea");
    var kept = typing ? typing.value : "";
    var focused = typing && document.activeElement === typing;
    var mentions = card.querySelectorAll('.comment-form input[name="mentions"]');
    card.replaceWith(fresh);
    window.htmx.process(fresh);
    var form = fresh.querySelector(".comment-form");
    if (form && kept) {
      var area = form.querySelector("textarea");
      area.value = kept;
      mentions.forEach(function (input) { form.appendChild(input); });
      if (focused) area.focus();
    }
  }

  function refresh(id) {
    var cards = cardsOf(id);
    if (!cards.length) return;
    fetchCard(id).then(function (html) {
      if (html) cardsOf(id).forEach(function (card) { replace(card, html); });
    });
  }

  function add(list, id) {
    if (list.querySelector('[data-post-id="' + id + '"]')) return;
    fetchCard(id).then(function (html) {
      if (!html || list.querySelector('[data-post-id="' + id + '"]')) return;
      var card = element(html);
      list.insertBefore(card, list.firstElementChild);
      window.htmx.process(card);
      var empty = list.querySelector(":scope > p.empty");
      if (empty) empty.remove();
    });
  }

  function onChange(event) {
    var change = event.detail;
    if (change.change === "deleted") {
      cardsOf(change.post_id).forEach(function (card) { card.remove(); });
    } else if (change.change === "created") {
      document.querySelectorAll("[data-live]").forEach(function (list) {
        var live = list.dataset.live;
        if (live === "feed" || (change.record && live === change.record)) add(list, change.post_id);
      });
    } else {
      refresh(change.post_id);
    }
  }

  // --- @mentions -------------------------------------------------------------------------
  var MENTION = /(?:^|\s)@([^\s@]{1,40})$/u;
  var asked = 0;

  function audienceOf(form) {
    var select = form.querySelector('select[name="audience"]');
    if (select) {
      return Array.prototype.filter.call(select.options, function (o) { return o.selected; })
        .map(function (o) { return o.value; });
    }
    return (form.dataset.audience || "everyone").split(" ");
  }

  function recordOf(form) {
    var kind = form.querySelector('input[name="record_kind"]');
    var id = form.querySelector('input[name="record_id"]');
    if (kind && id) return [kind.value, id.value];
    if (form.dataset.recordKind) return [form.dataset.recordKind, form.dataset.recordId];
    return null;
  }

  function choicesOf(area) {
    return area.parentElement.querySelector(".mention-choices");
  }

  function close(area) {
    var list = choicesOf(area);
    if (list) { list.hidden = true; list.innerHTML = ""; }
  }

  function pick(area, option) {
    var form = area.closest("form");
    var before = area.value.slice(0, area.selectionStart);
    var after = area.value.slice(area.selectionStart);
    var start = before.lastIndexOf("@");
    area.value = before.slice(0, start) + "@" + option.textContent + " " + after;
    var caret = start + option.textContent.length + 2;
    area.setSelectionRange(caret, caret);
    if (!form.querySelector('input[name="mentions"][value="' + option.dataset.id + '"]')) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = "mentions";
      input.value = option.dataset.id;
      form.appendChild(input);
    }
    close(area);
    area.focus();
  }

  function suggest(area) {
    var form = area.closest("form");
    var found = MENTION.exec(area.value.slice(0, area.selectionStart));
    if (!found) { close(area); return; }
    var params = new URLSearchParams({ q: found[1] });
    audienceOf(form).forEach(function (value) { params.append("audience", value); });
    var record = recordOf(form);
    if (record) { params.append("record_kind", record[0]); params.append("record_id", record[1]); }
    var mine = ++asked;
    fetch(form.dataset.mentions + "?" + params.toString(), { credentials: "same-origin" })
      .then(function (answer) { return answer.ok ? answer.json() : []; })
      .then(function (people) {
        if (mine !== asked) return;
        var list = choicesOf(area);
        list.innerHTML = "";
        people.forEach(function (person, i) {
          var option = document.createElement("li");
          option.setAttribute("role", "option");
          option.dataset.id = person.id;
          option.textContent = person.name;
          option.setAttribute("aria-selected", String(i === 0));
          list.appendChild(option);
        });
        list.hidden = people.length === 0;
      });
  }

  function move(area, step) {
    var options = Array.prototype.slice.call(choicesOf(area).querySelectorAll("[role=option]"));
    var at = options.findIndex(function (o) { return o.getAttribute("aria-selected") === "true"; });
    var next = (at + step + options.length) % options.length;
    options.forEach(function (o, i) { o.setAttribute("aria-selected", String(i === next)); });
  }

  function onKey(event) {
    var area = event.target;
    var list = area.closest && area.closest("[data-mentions]") ? choicesOf(area) : null;
    if (!list || list.hidden) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      move(area, event.key === "ArrowDown" ? 1 : -1);
    } else if (event.key === "Enter" || event.key === "Tab") {
      var chosen = list.querySelector('[aria-selected="true"]');
      if (chosen) { event.preventDefault(); pick(area, chosen); }
    } else if (event.key === "Escape") {
      close(area);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    // Every filter in sight on a wide screen; on a phone behind "More filters", so the box for a
    // new post is on the first screen.
    var more = document.querySelector(".more-filters");
    if (more && window.matchMedia("(min-width: 801px)").matches) more.open = true;
    document.body.addEventListener("crm:feed", onChange);
    document.body.addEventListener("htmx:afterSettle", dedupe);
    document.body.addEventListener("crm:posted", function (event) {
      var form = event.target.closest ? event.target.closest("form") : null;
      if (!form) return;
      form.reset();
      form.querySelectorAll('input[name="mentions"]').forEach(function (input) { input.remove(); });
      var problems = form.nextElementSibling;
      if (problems && problems.classList.contains("composer-problems")) problems.innerHTML = "";
    });
    document.body.addEventListener("input", function (event) {
      if (event.target.tagName === "TEXTAREA" && event.target.closest("[data-mentions]")) {
        suggest(event.target);
      }
    });
    document.body.addEventListener("keydown", onKey);
    document.body.addEventListener("mousedown", function (event) {
      var option = event.target.closest ? event.target.closest(".mention-choices [role=option]") : null;
      if (!option) return;
      event.preventDefault(); // the text area keeps its focus and caret
      pick(option.closest(".mention-box").querySelector("textarea"), option);
    });
  });
})();
