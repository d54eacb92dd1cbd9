// The dashboard's behaviour: buttons call the admin API, and the page's sections are redrawn
// by the server (GET /__admin/ui/sections), which escapes every value. No other host is used.
(() => {
  "use strict";
  const TOKEN_KEY = "mockserver-admin-token";
  const POLL_MS = 1000;
  let busy = false;

  const token = () => sessionStorage.getItem(TOKEN_KEY);

  function headers(json) {
    const result = {};
    if (json) result["Content-Type"] = "application/json";
    const given = token();
    if (given) result.Authorization = `Bearer ${given}`;
    return result;
  }

  function notice(text, isError) {
    const line = document.getElementById("notice");
    if (!line) return;
    line.textContent = text;
    line.className = isError ? "error" : "";
  }

  async function admin(method, path, body) {
    const response = await fetch(`/__admin${path}`, {
      method,
      headers: headers(body !== undefined),
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
    });
    if (!response.ok) {
      let message = `${response.status} ${response.statusText}`;
      try {
        message = (await response.json()).error.message;
      } catch (_) {
        // not the admin API's JSON error: keep the status line
      }
      if (response.status === 401) sessionStorage.removeItem(TOKEN_KEY);
      notice(message, true);
      throw new Error(message);
    }
    return response;
  }

  function ensureLayout(names) {
    if (document.getElementById(names[0])) return;
    // An unlocked page: draw the containers the server draws on a page with data.
    const header = document.createElement("header");
    header.className = "bar";
    const title = document.createElement("h1");
    title.textContent = "mockserver";
    header.append(title);
    const line = document.createElement("p");
    line.id = "notice";
    line.setAttribute("role", "status");
    const main = document.createElement("main");
    for (const name of names) {
      const slot = document.createElement("div");
      slot.id = name;
      slot.dataset.section = name;
      (name === "toolbar" ? header : main).append(slot);
    }
    document.body.replaceChildren(header, line, main);
    delete document.body.dataset.locked;
  }

  // The server's first paint, as the browser wrote it down, per section: the first update
  // compares with it, so a page nobody touched is not redrawn for nothing.
  const firstPaint = new Map();

  function sameAsFirstPaint(slot, html) {
    const fresh = document.createElement("template");
    fresh.innerHTML = html;
    return firstPaint.get(slot.id) === fresh.innerHTML;
  }

  async function refresh(force) {
    if (busy) return;
    busy = true;
    try {
      const response = await admin("GET", `/ui/sections${location.search}`);
      const { sections } = await response.json();
      ensureLayout(Object.keys(sections));
      for (const [name, html] of Object.entries(sections)) {
        const slot = document.getElementById(name);
        if (!slot || slot.dataset.drawn === html) continue;
        if (slot.dataset.drawn === undefined && sameAsFirstPaint(slot, html)) {
          slot.dataset.drawn = html;
          continue;
        }
        // Leave a section alone while someone is using a control in it, unless we acted.
        if (!force && slot.contains(document.activeElement) && document.activeElement !== document.body) continue;
        const open = new Set([...slot.querySelectorAll("details[open]")].map((d) => d.dataset.id));
        slot.innerHTML = html;
        slot.dataset.drawn = html;
        for (const details of slot.querySelectorAll("details[data-id]")) {
          if (open.has(details.dataset.id)) details.open = true;
        }
      }
    } catch (error) {
      // shown in the notice line by admin(); a locked page keeps its form
    } finally {
      busy = false;
    }
  }

  async function act(method, path, body, done) {
    try {
      await admin(method, path, body);
      notice(done, false);
    } catch (_) {
      return;
    }
    await refresh(true);
  }

  document.addEventListener("change", (event) => {
    const select = event.target.closest("[data-action=load]");
    if (select) act("PUT", "/scenario", { name: select.value }, `${select.value} loaded`);
  });

  document.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    const { action, provider, seconds, copy } = button.dataset;
    if (action === "reset") act("POST", "/reset", {}, "reset: every provider is back to its scenario's start");
    if (action === "advance") {
      act("PUT", "/clock", { advance_seconds: Number(seconds), provider }, `${provider} clock moved`);
    }
    if (action === "copy" && navigator.clipboard) {
      navigator.clipboard.writeText(copy).then(() => notice(`copied ${copy}`, false));
    }
  });

  document.addEventListener("submit", (event) => {
    if (event.target.id !== "token-form") return;
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, document.getElementById("token").value);
    refresh(true);
  });

  document.addEventListener("DOMContentLoaded", () => {
    for (const slot of document.querySelectorAll("[data-section]")) firstPaint.set(slot.id, slot.innerHTML);
    if (document.body.dataset.locked && token()) refresh(true);
    setInterval(() => {
      if (!document.hidden && !document.body.dataset.locked) refresh(false);
    }, POLL_MS);
  });
})();
