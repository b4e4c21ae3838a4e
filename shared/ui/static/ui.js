/* UI kit behaviour, driven by data-attributes (no inline scripts: the CSP is script-src 'self').
 *
 *  select[data-party-switcher]     "Act as": remembered in localStorage per service; requests carry
 *                                  Authorization: Bearer demo-<party> (or the key typed in input[data-api-key]).
 *  form[data-api]                  submitted as JSON to data-api (URL; {name} placeholders filled from fields
 *                                  of that name, {party} from the acting party) with data-method (POST).
 *     data-party="code"            always act as this party;   data-success="message"  announced on success
 *     data-refresh="#a #b"         regions re-fetched on success;   data-reset  clears the form on success
 *     data-redirect="/ui/x/{id}"   go there on success ({key} from the JSON answer)
 *     [data-result]                inside the form: shows the JSON answer
 *     field data-type="number|boolean|json|list"; dotted names nest (location.lat -> {location: {lat}});
 *     empty fields are left out.   problem+json errors[].field are shown next to [name=field].
 *  button[data-api]                same request without a form; body from data-body (JSON); data-confirm asks first.
 *  [data-live-src][data-live-topics="a b"]   replaced by the HTML at data-live-src when a topic is published
 *                                  (one EventSource per page on body[data-events-url]); {party} is expanded.
 *     data-live-party="code"       always fetched as this party (e.g. views of personal data for one role)
 *     data-live-load               also fetched once when the page opens
 *  ?party=<code> in the page URL   act as that party (quick-switch links); regions whose data-live-src
 *                                  names {party} are fetched for the acting party when the page opens.
 *  [data-party-only="a b"], [data-role-only="r"]   hidden unless the acting party matches.
 *  button[data-disclosure="id"]    shows/hides #id (aria-expanded kept in sync).
 *  [role=tablist] > [role=tab][aria-controls]   arrow keys/Home/End move between tabs.
 *  button[data-copy="#sel"]        copies the text of #sel.
 *  [data-acting-party-label]       shows "as <party>".
 *  JS API: window.CPA.{api, actingParty, setActingParty, authHeaders, announce, subscribe, refresh, on,
 *                     clearErrors, showProblem (problem+json shown next to the form's fields)}
 *  Events dispatched on document: cpa:party, cpa:success (detail {data, response, source}), cpa:updated, cpa:event.
 */
(function () {
  "use strict";

  const body = document.body;
  const service = body.dataset.service || "svc";
  const PARTY_KEY = "cpa." + service + ".actAs";
  const KEY_KEY = "cpa." + service + ".apiKey";
  const listeners = {};
  let source = null;
  let sourceTopics = "";

  function announce(message, isError) {
    const el = document.getElementById("live-status");
    if (!el) return;
    el.classList.toggle("is-error", !!isError);
    el.textContent = "";
    // A fresh text node after a tick makes screen readers announce repeated messages too.
    window.setTimeout(function () { el.textContent = message; }, 30);
    window.clearTimeout(announce.timer);
    announce.timer = window.setTimeout(function () { el.textContent = ""; }, 6000);
  }

  function store(kind) {
    try { return kind === "local" ? window.localStorage : window.sessionStorage; } catch (e) { return null; }
  }

  function switcher() { return document.querySelector("select[data-party-switcher]"); }

  function actingParty() {
    const sel = switcher();
    if (sel && sel.value) return sel.value;
    const s = store("local");
    return (s && s.getItem(PARTY_KEY)) || body.dataset.operator || "";
  }

  function authHeaders(party) {
    const keyInput = document.querySelector("input[data-api-key]");
    const key = keyInput && keyInput.value.trim();
    if (key && !party) return { Authorization: "Bearer " + key };
    const who = party || actingParty();
    return who ? { Authorization: "Bearer demo-" + who } : {};
  }

  function expand(template, values) {
    return template.replace(/\{([A-Za-z0-9_.]+)\}/g, function (m, name) {
      if (name === "party") return encodeURIComponent(actingParty());
      const v = values && lookup(values, name);
      return v === undefined || v === null ? m : encodeURIComponent(String(v));
    });
  }

  function lookup(obj, path) {
    return path.split(".").reduce(function (o, k) { return o == null ? undefined : o[k]; }, obj);
  }

  function newKey() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  /* fetch as a party; resolves {ok, status, data, problem} and never throws for HTTP errors. */
  async function api(url, options) {
    const opts = options || {};
    const headers = Object.assign({ Accept: "application/json, application/problem+json" }, authHeaders(opts.party));
    const method = (opts.method || "GET").toUpperCase();
    const init = { method: method, headers: headers, credentials: "same-origin" };
    if (opts.body !== undefined && method !== "GET") {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(opts.body);
    }
    if (method === "POST" || method === "PUT" || method === "PATCH") headers["Idempotency-Key"] = newKey();
    let response;
    try {
      response = await fetch(url, init);
    } catch (err) {
      return { ok: false, status: 0, data: null,
               problem: { title: "Network error", detail: "The service could not be reached. Try again." } };
    }
    const type = response.headers.get("content-type") || "";
    let data = null;
    if (type.indexOf("json") !== -1) { try { data = await response.json(); } catch (e) { data = null; } }
    else { data = await response.text(); }
    const problem = response.ok ? null : (data && typeof data === "object" ? data
      : { title: response.statusText || "Error", detail: String(data || response.status) });
    return { ok: response.ok, status: response.status, data: data, problem: problem };
  }

  /* ---- forms ---------------------------------------------------------------------------- */
  function setPath(target, path, value) {
    const parts = path.split(".");
    let o = target;
    for (let i = 0; i < parts.length - 1; i++) {
      if (typeof o[parts[i]] !== "object" || o[parts[i]] === null) o[parts[i]] = {};
      o = o[parts[i]];
    }
    o[parts[parts.length - 1]] = value;
  }

  function readField(el) {
    const type = el.dataset.type || (el.type === "number" || el.type === "range" ? "number" : "");
    if (el.type === "checkbox") return el.checked;
    if (el.tagName === "SELECT" && el.multiple) {
      return Array.from(el.selectedOptions).map(function (o) { return o.value; });
    }
    const raw = el.value;
    if (raw.trim() === "" && !el.hasAttribute("data-keep-empty")) return undefined;
    if (type === "number") return Number(raw);
    if (type === "boolean") return raw === "true" || raw === "on" || raw === "1";
    if (type === "list") return raw.split(/[\n,]/).map(function (s) { return s.trim(); }).filter(Boolean);
    if (type === "json") return JSON.parse(raw);
    return raw;
  }

  function clearErrors(form) {
    form.querySelectorAll("[data-error-for]").forEach(function (p) { p.hidden = true; p.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
    const box = form.querySelector("[data-form-error]");
    if (box) { box.hidden = true; box.textContent = ""; }
  }

  function fieldFor(form, name) {
    if (!name) return null;
    const candidates = [name, name.replace(/^(body|query|path)\./, ""), name.split(".").pop()];
    for (const c of candidates) {
      const el = form.querySelector('[name="' + CSS.escape(c) + '"]');
      if (el) return el;
    }
    return null;
  }

  function showProblem(container, problem) {
    const errors = Array.isArray(problem.errors) ? problem.errors : [];
    const unmatched = [];
    let first = null;
    errors.forEach(function (err) {
      const el = container.tagName === "FORM" ? fieldFor(container, String(err.field || "")) : null;
      if (!el) { unmatched.push(err); return; }
      el.setAttribute("aria-invalid", "true");
      const slot = container.querySelector('[data-error-for="' + CSS.escape(el.name) + '"]');
      if (slot) { slot.textContent = err.message || "invalid"; slot.hidden = false; }
      else unmatched.push(err);
      if (!first) first = el;
    });
    let box = container.querySelector("[data-form-error]");
    if (!box) {
      box = document.createElement("p");
      box.className = "action-error";
      box.setAttribute("data-form-error", "");
      box.setAttribute("role", "alert");
      container.appendChild(box);
    }
    box.textContent = "";
    const head = document.createElement("strong");
    head.textContent = (problem.title || "Error") + (problem.status ? " (" + problem.status + ")" : "");
    box.appendChild(head);
    if (problem.detail && (errors.length === 0 || unmatched.length)) {
      box.appendChild(document.createTextNode(": " + problem.detail));
    }
    if (unmatched.length) {
      const ul = document.createElement("ul");
      unmatched.forEach(function (err) {
        const li = document.createElement("li");
        li.textContent = (err.field ? err.field + ": " : "") + (err.message || "invalid");
        ul.appendChild(li);
      });
      box.appendChild(ul);
    }
    box.hidden = false;
    (first || box).focus();
    announce(head.textContent + (problem.detail ? ": " + problem.detail : ""), true);
  }

  async function afterSuccess(el, result) {
    const data = result.data;
    const message = el.dataset.success ? expand(el.dataset.success, data) : "Done (" + result.status + ").";
    announce(message);
    const out = el.querySelector && el.querySelector("[data-result]");
    if (out) out.textContent = typeof data === "string" ? data : JSON.stringify(data, null, 2);
    document.dispatchEvent(new CustomEvent("cpa:success", { detail: { data: data, response: result, source: el } }));
    (el.dataset.refresh || "").split(/\s+/).filter(Boolean).forEach(function (sel) {
      document.querySelectorAll(sel).forEach(refresh);
    });
    if (el.tagName === "FORM" && el.hasAttribute("data-reset")) el.reset();
    if (el.dataset.redirect) window.location.assign(expand(el.dataset.redirect, data));
  }

  async function submitForm(form, submitter) {
    clearErrors(form);
    const values = {};
    const payload = {};
    let bad = null;
    Array.from(form.elements).forEach(function (el) {
      if (!el.name || el.disabled || el.type === "submit" || el.type === "button") return;
      if (el.type === "radio" && !el.checked) return;
      try {
        const v = readField(el);
        values[el.name] = v;
        if (v !== undefined) setPath(payload, el.name, v);
      } catch (e) {
        bad = bad || { field: el.name, message: "is not valid JSON" };
      }
    });
    if (bad) { showProblem(form, { title: "Check the form", errors: [bad] }); return; }
    const url = form.dataset.api.replace(/\{([A-Za-z0-9_.]+)\}/g, function (m, name) {
      if (name === "party") return encodeURIComponent(actingParty());
      if (values[name] === undefined) return m;
      delete payload[name];  // a path parameter, not part of the body
      return encodeURIComponent(String(values[name]));
    });
    const method = (form.dataset.method || "POST").toUpperCase();
    if (submitter) submitter.disabled = true;
    form.setAttribute("aria-busy", "true");
    try {
      const result = await api(url, { method: method, body: method === "GET" ? undefined : payload,
                                      party: form.dataset.party });
      if (result.ok) await afterSuccess(form, result);
      else showProblem(form, result.problem);
    } finally {
      if (submitter) submitter.disabled = false;
      form.removeAttribute("aria-busy");
    }
  }

  async function clickAction(button) {
    if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
    const holder = button.parentElement;
    const old = holder.querySelector(":scope > [data-form-error]");
    if (old) old.remove();
    let payload;
    try { payload = button.dataset.body ? JSON.parse(button.dataset.body) : undefined; }
    catch (e) { payload = undefined; }
    button.setAttribute("aria-disabled", "true");
    button.disabled = true;
    try {
      const result = await api(expand(button.dataset.api), { method: button.dataset.method || "POST",
                                                           body: payload, party: button.dataset.party });
      if (result.ok) await afterSuccess(button, result);
      else showProblem(holder, result.problem);
    } finally {
      button.disabled = false;
      button.removeAttribute("aria-disabled");
    }
  }

  /* ---- live regions and server-sent events ---------------------------------------------- */
  async function refresh(region) {
    if (!region || !region.dataset.liveSrc) return;
    if (region._pending) { region._again = true; return; }  // coalesce bursts into one more fetch
    region._pending = true;
    region.setAttribute("aria-busy", "true");
    try {
      const response = await fetch(expand(region.dataset.liveSrc), {
        headers: Object.assign({ Accept: "text/html" }, authHeaders(region.dataset.liveParty || undefined)),
        credentials: "same-origin" });
      if (response.ok) {
        const html = await response.text();
        const focusedId = region.contains(document.activeElement) ? document.activeElement.id : "";
        region.innerHTML = html;  // server-rendered by Jinja2 with autoescape: trusted markup
        region.dataset.refreshed = String(Number(region.dataset.refreshed || "0") + 1);
        enhance(region);
        if (focusedId) { const again = document.getElementById(focusedId); if (again) again.focus(); }
        document.dispatchEvent(new CustomEvent("cpa:updated", { detail: { region: region } }));
      }
    } catch (e) {
      /* the stream reconnects and the next event retries */
    } finally {
      region._pending = false;
      region.removeAttribute("aria-busy");
      if (region._again) { region._again = false; refresh(region); }
    }
  }

  function on(topic, handler) {
    (listeners[topic] = listeners[topic] || []).push(handler);
    connect();
  }

  function regionTopics() {
    const topics = new Set(Object.keys(listeners));
    document.querySelectorAll("[data-live-topics]").forEach(function (el) {
      el.dataset.liveTopics.split(/\s+/).filter(Boolean).forEach(function (t) { topics.add(expand(t)); });
    });
    return Array.from(topics).sort();
  }

  function setIndicator(state) {
    body.dataset.sseState = state;
    const ind = document.querySelector("[data-sse-indicator]");
    if (!ind) return;
    ind.hidden = false;
    ind.dataset.state = state;
    ind.textContent = state === "open" ? "live updates on" : "reconnecting…";
  }

  function dispatch(topic, event) {
    let data = null;
    try { data = JSON.parse(event.data); } catch (e) { data = event.data; }
    (listeners[topic] || []).forEach(function (fn) { fn(data, topic); });
    document.querySelectorAll("[data-live-topics]").forEach(function (el) {
      const mine = el.dataset.liveTopics.split(/\s+/).map(function (t) { return expand(t); });
      if (mine.indexOf(topic) !== -1) {
        window.clearTimeout(el._debounce);
        el._debounce = window.setTimeout(function () { refresh(el); }, 120);
      }
    });
    document.dispatchEvent(new CustomEvent("cpa:event", { detail: { topic: topic, data: data } }));
  }

  function connect() {
    window.clearTimeout(connect.timer);
    connect.timer = window.setTimeout(function () {  // batch subscriptions made in one tick
      const topics = regionTopics();
      const key = topics.join(" ");
      if (!topics.length || !window.EventSource || key === sourceTopics) return;
      if (source) source.close();
      sourceTopics = key;
      const url = (body.dataset.eventsUrl || "/ui/events") + "?" +
        topics.map(function (t) { return "topic=" + encodeURIComponent(t); }).join("&");
      source = new EventSource(url);
      source.addEventListener("ready", function () { setIndicator("open"); });
      source.onerror = function () { setIndicator("reconnecting"); };  // EventSource retries by itself
      topics.forEach(function (t) { source.addEventListener(t, function (ev) { dispatch(t, ev); }); });
    }, 0);
  }

  /* ---- party switcher --------------------------------------------------------------------- */
  function applyParty() {
    const party = actingParty();
    const sel = switcher();
    const opt = sel && sel.selectedOptions[0];
    const roles = opt ? (opt.dataset.roles || "").split(/\s+/) : [];
    document.querySelectorAll("[data-party-only]").forEach(function (el) {
      el.hidden = el.dataset.partyOnly.split(/\s+/).indexOf(party) === -1;
    });
    document.querySelectorAll("[data-role-only]").forEach(function (el) {
      el.hidden = !el.dataset.roleOnly.split(/\s+/).some(function (r) { return roles.indexOf(r) !== -1; });
    });
    document.querySelectorAll("[data-acting-party-label]").forEach(function (el) {
      el.textContent = party ? "as " + party : "";
    });
  }

  function initSwitcher() {
    const sel = switcher();
    const local = store("local");
    if (sel) {
      const saved = local && local.getItem(PARTY_KEY);
      if (saved && Array.from(sel.options).some(function (o) { return o.value === saved; })) sel.value = saved;
      sel.addEventListener("change", function () {
        if (local) local.setItem(PARTY_KEY, sel.value);
        applyParty();
        announce("Acting as " + sel.selectedOptions[0].textContent.trim());
        document.querySelectorAll("[data-live-src*='{party}']").forEach(refresh);
        sourceTopics = ""; connect();  // topics may contain {party}
        document.dispatchEvent(new CustomEvent("cpa:party", { detail: { party: sel.value } }));
      });
    }
    const keyInput = document.querySelector("input[data-api-key]");
    const session = store("session");
    if (keyInput && session) {  // a real key is a secret: this tab only, never localStorage
      keyInput.value = session.getItem(KEY_KEY) || "";
      keyInput.addEventListener("change", function () { session.setItem(KEY_KEY, keyInput.value.trim()); });
    }
    applyParty();
  }

  function loadRegions() {
    document.querySelectorAll("[data-live-load]").forEach(refresh);
    const wanted = new URLSearchParams(window.location.search).get("party");
    const sel = switcher();
    const known = sel && wanted && Array.from(sel.options).some(function (o) { return o.value === wanted; });
    if (known && sel.value !== wanted) {
      window.CPA.setActingParty(wanted);  // re-fetches the regions whose source names {party}
      return;
    }
    document.querySelectorAll("[data-live-src*='{party}']:not([data-live-load])").forEach(refresh);
  }

  /* ---- small keyboard-usable widgets -------------------------------------------------------- */
  function enhance(root) {
    root.querySelectorAll("[role=tablist]").forEach(function (list) {
      if (list._enhanced) return;
      list._enhanced = true;
      const tabs = Array.from(list.querySelectorAll("[role=tab]"));
      function select(tab, focus) {
        tabs.forEach(function (t) {
          const on = t === tab;
          t.setAttribute("aria-selected", on ? "true" : "false");
          t.tabIndex = on ? 0 : -1;
          const panel = document.getElementById(t.getAttribute("aria-controls"));
          if (panel) panel.hidden = !on;
        });
        if (focus) tab.focus();
      }
      tabs.forEach(function (t, i) {
        t.addEventListener("click", function () { select(t, false); });
        t.addEventListener("keydown", function (e) {
          const moves = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 };
          if (!(e.key in moves)) return;
          e.preventDefault();
          select(tabs[(moves[e.key] + tabs.length) % tabs.length], true);
        });
      });
      select(tabs.find(function (t) { return t.getAttribute("aria-selected") === "true"; }) || tabs[0], false);
    });
  }

  document.addEventListener("submit", function (e) {
    const form = e.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.api) return;
    e.preventDefault();
    submitForm(form, e.submitter || form.querySelector("[type=submit]"));
  });

  document.addEventListener("click", function (e) {
    const target = e.target instanceof Element ? e.target : null;
    if (!target) return;
    const action = target.closest("button[data-api]");
    if (action) { e.preventDefault(); clickAction(action); return; }
    const disc = target.closest("button[data-disclosure]");
    if (disc) {
      const panel = document.getElementById(disc.dataset.disclosure);
      if (!panel) return;
      const open = disc.getAttribute("aria-expanded") !== "true";
      disc.setAttribute("aria-expanded", open ? "true" : "false");
      panel.hidden = !open;
      return;
    }
    const copy = target.closest("button[data-copy]");
    if (copy) {
      const src = document.querySelector(copy.dataset.copy);
      if (src && navigator.clipboard) {
        navigator.clipboard.writeText(src.textContent.trim()).then(
          function () { announce("Copied."); }, function () { announce("Copy failed.", true); });
      }
    }
  });

  window.CPA = { api: api, actingParty: actingParty, authHeaders: authHeaders, announce: announce,
                 refresh: refresh, on: on, subscribe: on, expand: expand,
                 clearErrors: clearErrors, showProblem: showProblem,
                 setActingParty: function (code) {
                   const sel = switcher();
                   if (sel) { sel.value = code; sel.dispatchEvent(new Event("change")); }
                 } };

  // Close the stream when leaving, so the server is not left holding an open response.
  window.addEventListener("pagehide", function () { if (source) { source.close(); source = null; sourceTopics = ""; } });
  window.addEventListener("pageshow", function (e) { if (e.persisted) connect(); });

  initSwitcher();
  enhance(document);
  connect();
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", loadRegions);
  else loadRegions();
})();
