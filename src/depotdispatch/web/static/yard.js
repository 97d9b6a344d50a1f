// The yard view's actions: every form is a POST that is queued first (localStorage), then sent; when
// the phone is offline the queue stays, the page says so, and it is sent again when the connection is
// back (and every 5 s). The server answers 204, or a short problem text shown as it is.
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
        q = load().slice(1);
        save(q);
        if (r.status === 204) {
          toast(item.done || "saved");
        } else {
          toast("Not saved: " + (await r.text()).slice(0, 200));
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
    const q = load();
    q.push({ url: form.dataset.yardAction, body: data.toString(), done: form.dataset.done || "" });
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
