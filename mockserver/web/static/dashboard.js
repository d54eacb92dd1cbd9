// The dashboard's behaviour: buttons call the admin API, and the page's sections are redrawn
// by the server (GET /__admin/ui/sections), which escapes every value. No other host is used.
// A session's page (/__session/{id}/__admin/ui/) calls that session's admin API.
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
    // The admin API of the page's own session: the server writes it on the page.
    const response = await fetch(`${document.body.dataset.admin || "/__admin"}${path}`, {
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
        // A list open on a select would close under a redraw: that one section waits until
        // the select is left. Everything else is redrawn at once, with what the person had
        // open, focused or typed carried over, so new requests never arrive unseen.
        if (!force && slot.contains(document.activeElement) && document.activeElement.tagName === "SELECT") continue;
        redraw(slot, html);
      }
    } catch (error) {
      // shown in the notice line by admin(); a locked page keeps its form
    } finally {
      busy = false;
    }
  }

  // How to find an element again in the redrawn section: by id, by name, or its row.
  function locator(element) {
    if (element.id) return `#${CSS.escape(element.id)}`;
    if (element.name) return `[name="${CSS.escape(element.name)}"]`;
    const row = element.closest("details[data-id]");
    if (row && element.tagName === "SUMMARY") return `details[data-id="${CSS.escape(row.dataset.id)}"] > summary`;
    return null;
  }

  function redraw(slot, html) {
    const open = new Set([...slot.querySelectorAll("details[open]")].map((d) => d.dataset.id));
    const active = slot.contains(document.activeElement) ? document.activeElement : null;
    const where = active && locator(active);
    const typed = active && "value" in active ? active.value : null;
    const caret = active && typeof active.selectionStart === "number" ? [active.selectionStart, active.selectionEnd] : null;
    slot.innerHTML = html;
    slot.dataset.drawn = html;
    for (const details of slot.querySelectorAll("details[data-id]")) {
      if (open.has(details.dataset.id)) details.open = true;
    }
    const again = where && slot.querySelector(where);
    if (!again) return;
    if (typed !== null && again.value !== typed) again.value = typed;
    again.focus({ preventScroll: true });
    if (caret && typeof again.setSelectionRange === "function") again.setSelectionRange(caret[0], caret[1]);
  }

  // A link to a journal row on this page opens the row in place.
  function openRow(hash) {
    const row = hash.startsWith("#request-") && document.getElementById(hash.slice(1));
    if (!row) return false;
    row.open = true;
    row.scrollIntoView({ block: "center" });
    row.querySelector("summary").focus({ preventScroll: true });
    return true;
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
    const link = event.target.closest("a[data-testid=journal-link]");
    if (link && openRow(new URL(link.href).hash)) {
      event.preventDefault();
      history.replaceState(null, "", link.hash);
      return;
    }
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
    if (location.hash) openRow(location.hash);
    if (document.body.dataset.locked && token()) refresh(true);
    setInterval(() => {
      if (!document.hidden && !document.body.dataset.locked) refresh(false);
    }, POLL_MS);
  });
})();
