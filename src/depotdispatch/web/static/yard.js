// The yard view's actions: every form is a POST that is queued first (localStorage), then sent; when
// the phone is offline the queue stays, the page says so, and it is sent again when the connection is
// back (and every 5 s). Each carries `at`, when the person acted by the phone's clock, so a reading typed
// offline is stored as of then. The server answers 204, or a short problem text: a 4xx is a refusal (the
// action is dropped and the page says why, until the next one is saved); a 5xx, a network failure or a
// sign-in page (the session ran out) leave it queued, in order, to be sent again.
(function () {
  "use strict";
  const KEY = "dd-yard-queue";
  const csrf = () => (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  const load = () => { try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { return []; } };
  const save = (q) => localStorage.setItem(KEY, JSON.stringify(q));
  let sending = false;

  function notice(text) {
    const n = document.getElementById("offline");
    if (!n) return;
    n.textContent = text || "";
    n.hidden = !text;
  }
  function toast(text) {
    const t = document.getElementById("toast");
    if (!t) return;
    t.textContent = text;
    t.classList.add("shown");
    setTimeout(() => t.classList.remove("shown"), 4000);
  }
  function waiting(q) {
    return q.length ? "Offline: " + q.length + " action" + (q.length > 1 ? "s" : "") +
      " waiting, sent when the connection is back." : "";
  }

  function refused(text) {
    const r = document.getElementById("refused");
    if (!r) return;
    r.textContent = text || "";
    r.hidden = !text;
  }
  // what to do with an answer: "done", "drop" (a refusal: it will never be accepted) or "keep" (try again)
  function verdict(r) {
    if (r.status === 204) return "done";
    if (r.redirected || r.status === 401) return "keep";  // signed out: kept for after the sign-in
    if (r.status === 408 || r.status === 429) return "keep";
    return r.status >= 400 && r.status < 500 ? "drop" : "keep";
  }
  // the phone's time with its own offset (2026-11-25T09:40:00-05:00): what the person saw when they acted
  function stamp(d) {
    const p = (n) => String(Math.floor(Math.abs(n))).padStart(2, "0");
    const off = -d.getTimezoneOffset();
    return d.getFullYear() + "-" + p(d.getMonth() + 1) + "-" + p(d.getDate()) + "T" + p(d.getHours()) + ":" +
      p(d.getMinutes()) + ":" + p(d.getSeconds()) + (off >= 0 ? "+" : "-") + p(off / 60) + ":" + p(off % 60);
  }

  async function flush() {
    if (sending) return;
    sending = true;
    try {
      let q = load();
      while (q.length) {
        const item = q[0];
        let r;
        try {
          r = await fetch(item.url, { method: "POST", credentials: "same-origin",
            headers: { "X-CSRF-Token": csrf(), "Content-Type": "application/x-www-form-urlencoded" },
            body: item.body });
        } catch (e) {
          notice(waiting(q));
          return;
        }
        const what = verdict(r);
        if (what === "keep") {
          notice(r.redirected || r.status === 401
            ? "Signed out: sign in again and the " + q.length + " waiting action" + (q.length > 1 ? "s are" : " is") + " sent."
            : "The server could not take it now (" + r.status + "): " + q.length + " action" +
              (q.length > 1 ? "s" : "") + " waiting, sent again in a few seconds.");
          return;
        }
        q = load().slice(1);
        save(q);
        if (what === "done") {
          refused("");
          toast(item.done || "saved");
        } else {
          const why = (await r.text()).slice(0, 200);
          refused("Not saved (" + (item.label || "action") + "): " + why);
          toast("Not saved: " + why);
        }
        document.body.dispatchEvent(new CustomEvent("dd:yard", { bubbles: true }));
      }
      notice(navigator.onLine === false ? "Offline: the page may be out of date." : "");
    } finally {
      sending = false;
    }
  }

  document.addEventListener("submit", (e) => {
    const form = e.target.closest("form[data-yard-action]");
    if (!form) return;
    e.preventDefault();
    const data = new URLSearchParams(new FormData(form));
    const bus = document.querySelector("[data-yard-bus]");
    if (!data.get("vehicle") && bus) data.set("vehicle", bus.value);
    data.set("at", stamp(new Date()));
    const q = load();
    const button = form.querySelector("button[type=submit]");
    const label = [data.get("vehicle"), button ? button.textContent.trim() : ""].filter(Boolean).join(": ");
    q.push({ url: form.dataset.yardAction, body: data.toString(), done: form.dataset.done || "", label: label });
    save(q);
    if (form.querySelector("#y-soc")) form.reset();
    flush();
  });
  window.addEventListener("online", flush);
  window.addEventListener("offline", () => notice(waiting(load()) || "Offline: the page may be out of date."));
  setInterval(flush, 5000);
  document.addEventListener("DOMContentLoaded", () => {
    if (navigator.onLine === false) notice(waiting(load()) || "Offline: the page may be out of date.");
    flush();
  });
})();
