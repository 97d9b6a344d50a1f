// depotdispatch pages: no inline script anywhere (strict CSP). htmx does the requests; this file
// adds the CSRF header, the dialog, the live feed (SSE) and the keyboard shortcuts.
(function () {
  "use strict";
  const csrf = () => (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  const dialog = () => document.getElementById("dialog");

  document.addEventListener("htmx:configRequest", (e) => { e.detail.headers["X-CSRF-Token"] = csrf(); });

  // Anything swapped into the dialog body opens the dialog and focuses its first control.
  document.addEventListener("htmx:afterSwap", (e) => {
    const target = e.detail.target;
    if (target && target.id === "dialog-body") {
      const d = dialog();
      if (!d.open) d.showModal();
      const first = target.querySelector("textarea, input:not([type=hidden]), button, a[href]");
      if (first) first.focus();
    }
  });
  // A change the operator made: say so, close the dialog after a moment, reload the live parts.
  document.addEventListener("dd:planChanged", () => {
    window.ddRefresh();
    setTimeout(() => { const d = dialog(); if (d && d.open) d.close(); }, 900);
  });
  // What a failed request did, as far as the page can know (DESIGN §6): a refusal (4xx) wrote nothing;
  // a server failure (5xx) may have saved part of a change before it failed, and a request that got no
  // answer may have arrived: only a reload shows what is stored. Reading (GET) changes nothing at all.
  window.ddFailureText = function (verb, status, body) {
    const reading = (verb || "get").toLowerCase() === "get";
    if (!status) {
      return reading ? "No answer from the server: this part of the page is not up to date; reload when the "
        + "connection is back." : "No answer from the server: the change may or may not have arrived. Reload "
        + "the page to see whether it took effect before trying again.";
    }
    const ref = /reference ([0-9a-f]{6,32})/.exec(body || "");
    const said = "(" + status + (ref ? ", reference " + ref[1] : "") + ")";
    if (status >= 400 && status < 500) {
      return "The server refused this " + said + ": nothing was changed. Reload the page and try again.";
    }
    return reading ? "The server could not load this part of the page " + said + "; reload the page."
      : "The server could not finish this " + said + ": reload the page to see whether it took effect "
        + "before trying again.";
  };
  const verbOf = (e) => (e.detail.requestConfig && e.detail.requestConfig.verb) || "";
  document.addEventListener("htmx:responseError", (e) => {
    toast(window.ddFailureText(verbOf(e), e.detail.xhr.status, e.detail.xhr.responseText));
  });
  document.addEventListener("htmx:sendError", (e) => toast(window.ddFailureText(verbOf(e), 0, "")));

  function toast(text) {
    const t = document.getElementById("toast");
    if (!t) return;
    t.textContent = text;
    t.classList.add("shown");
    setTimeout(() => t.classList.remove("shown"), 5000);
  }

  // Live updates: one EventSource per page; every change reloads the partials marked for it.
  // An open dialog is outside those partials, so what the operator typed stays.
  let pending = null;
  window.ddRefresh = function () {
    if (pending) return;
    pending = setTimeout(() => {
      pending = null;
      if (window.htmx) window.htmx.trigger(document.body, "dd:change");
      document.dispatchEvent(new CustomEvent("dd:live"));
    }, 50);
  };
  function live() {
    const depot = document.body.dataset.liveDepot;
    if (!depot || !window.EventSource) return;
    const es = new EventSource("/events/stream?depot=" + encodeURIComponent(depot));
    es.addEventListener("ready", () => { document.body.dataset.live = "on"; });
    es.addEventListener("change", (e) => {
      document.body.dataset.lastChange = e.data;
      window.ddRefresh();
    });
    es.onerror = () => { document.body.dataset.live = "reconnecting"; };
  }

  // Keyboard: "/" finds a block or bus, j/k move between rows, Enter opens the row's first action.
  function rows() { return Array.from(document.querySelectorAll(".board-row")); }
  document.addEventListener("keydown", (e) => {
    const tag = (e.target.tagName || "").toLowerCase();
    if (["input", "textarea", "select"].includes(tag) || e.metaKey || e.ctrlKey || e.altKey) return;
    if (dialog() && dialog().open) return;
    if (e.key === "/") {
      const q = document.getElementById("q");
      if (q) { e.preventDefault(); q.focus(); q.select(); }
    } else if (e.key === "j" || e.key === "k") {
      const all = rows();
      if (!all.length) return;
      const i = all.indexOf(document.activeElement.closest ? document.activeElement.closest(".board-row") : null);
      const next = e.key === "j" ? Math.min(all.length - 1, i + 1) : Math.max(0, i < 0 ? 0 : i - 1);
      all[next].focus();
      e.preventDefault();
    } else if (e.key === "Enter" && e.target.classList && e.target.classList.contains("board-row")) {
      const action = e.target.querySelector("button.pick");
      if (action) { action.click(); e.preventDefault(); }
    }
  });
  // What the operator is typing outlives a live reload. A form marked data-keep that they have edited
  // keeps its values (and the focus) when the part around it is reloaded; a box marked data-keep="result"
  // keeps what it shows. An edit ends when the server accepts the form (a 2xx answer), or, for
  // data-keep="until-done", when an answer carries data-done-with naming the form's data-keep-key.
  // A form's data-preview names the box showing its preview.
  const keyed = (key) => Array.from(document.querySelectorAll("[data-keep-key]")).find((el) => el.dataset.keepKey === key);
  const fields = (f) => Array.from(f.elements).filter((el) => el.name && !["hidden", "submit", "button"].includes(el.type));
  const sameField = (a, b) => a.name === b.name && (!["checkbox", "radio"].includes(a.type) || a.value === b.value);
  function edited(e) {
    const f = e.target.closest && e.target.closest("form[data-keep]");
    if (!f) return;
    f.dataset.edited = "1";
    // a preview shows what the form said when it was sent: once the form changes, it cannot be confirmed
    const preview = f.dataset.preview && document.getElementById(f.dataset.preview);
    if (preview) {
      preview.querySelectorAll("[data-when-stale]").forEach((p) => { p.hidden = false; });
      preview.querySelectorAll("form button").forEach((b) => { b.disabled = true; });
    }
  }
  document.addEventListener("input", edited);
  document.addEventListener("change", edited);
  document.addEventListener("htmx:afterRequest", (e) => {
    const f = e.detail.elt && e.detail.elt.closest && e.detail.elt.closest("form[data-keep]");
    if (f && e.detail.successful && f.dataset.keep !== "until-done") delete f.dataset.edited;
  });
  let kept = null;
  document.addEventListener("htmx:beforeSwap", (e) => {
    const t = e.detail.target;
    if (!e.detail.shouldSwap || !t || !t.querySelectorAll) return;
    const active = document.activeElement;
    const forms = Array.from(t.querySelectorAll("form[data-keep][data-edited]")).map((f) => ({
      key: f.dataset.keepKey,
      values: fields(f).map((el) => ({ el, value: el.value, checked: el.checked })),
      focus: f.contains(active) ? active : null,
    }));
    const boxes = Array.from(t.querySelectorAll('[data-keep="result"]')).filter((b) => b.innerHTML.trim())
      .map((b) => ({ key: b.dataset.keepKey, html: b.innerHTML }));
    if (forms.length || boxes.length) kept = { forms, boxes };
  });
  document.addEventListener("htmx:afterSwap", (e) => {
    const done = e.detail.target && e.detail.target.querySelectorAll ? e.detail.target.querySelectorAll("[data-done-with]") : [];
    done.forEach((d) => { const f = keyed(d.dataset.doneWith); if (f) delete f.dataset.edited; });
    if (!kept) return;
    const k = kept;
    kept = null;
    k.boxes.forEach((b) => {
      const box = keyed(b.key);
      if (box && !box.innerHTML.trim()) { box.innerHTML = b.html; window.htmx.process(box); }
    });
    k.forms.forEach((old) => {
      const f = keyed(old.key);
      if (!f) return;
      const now = fields(f);
      const used = new Set();
      old.values.forEach((v) => {
        const el = now.find((n) => !used.has(n) && sameField(n, v.el));
        if (!el) return;
        used.add(el);
        if (["checkbox", "radio"].includes(el.type)) el.checked = v.checked; else el.value = v.value;
        if (v.el === old.focus) {
          el.focus();
          try { el.setSelectionRange(old.focus.selectionStart, old.focus.selectionEnd); } catch (_) { /* not a text field */ }
        }
      });
      f.dataset.edited = "1";
    });
  });
  // keep the focused row across live reloads
  let focused = null;
  document.addEventListener("htmx:beforeSwap", () => {
    const a = document.activeElement;
    focused = a && a.classList && a.classList.contains("board-row") ? a.dataset.block + "|" + a.dataset.date : null;
  });
  document.addEventListener("htmx:afterSettle", () => {
    if (!focused) return;
    const [b, d] = focused.split("|");
    const row = document.querySelector('.board-row[data-block="' + CSS.escape(b) + '"][data-date="' + d + '"]');
    if (row) row.focus();
    focused = null;
  });

  document.addEventListener("DOMContentLoaded", live);
})();

// Client-side filters of a table already on the page (the sheet preview): rows carry data-* words.
document.addEventListener("change", (e) => {
  const sel = e.target;
  if (!sel.dataset || !sel.dataset.filterTable) return;
  const table = document.getElementById(sel.dataset.filterTable);
  if (!table) return;
  const wanted = {};
  document.querySelectorAll('[data-filter-table="' + sel.dataset.filterTable + '"]').forEach((s) => {
    if (s.value) wanted[s.dataset.filter] = s.value;
  });
  table.querySelectorAll("tbody tr").forEach((tr) => {
    const show = Object.entries(wanted).every(([k, v]) => (tr.dataset[k] || "").split(" ").includes(v));
    tr.hidden = !show;
  });
});

// Upload progress of the schedule import (htmx reports the request's progress events).
document.addEventListener("htmx:xhr:progress", (e) => {
  const bar = document.getElementById("import-progress");
  if (!bar || !e.detail.lengthComputable || !e.target.closest || !e.target.closest("#import-form")) return;
  bar.hidden = false;
  bar.value = Math.round((e.detail.loaded / e.detail.total) * 100);
});
