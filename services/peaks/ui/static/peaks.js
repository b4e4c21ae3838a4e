/* Peaks pages: the climber's session, the multipart upload, verdict and progress regions, authorised images.
 * Loaded after ui.js (both deferred); uses window.CPA. No inline scripts anywhere (CSP script-src 'self').
 *
 *  sessionStorage "cpa.peaks.climber" = {id, token, display_name}   set after POST /v1/climbers (form#register);
 *                                  this tab only: the token is a credential and never goes to localStorage.
 *  [data-climber-known] / [data-climber-unknown] / [data-needs-climber]   shown by whether a climber is known;
 *  [data-climber-name], [data-climber-id]   filled in;   button[data-forget-climber]   clears the session.
 *  form[data-upload="/v1/photos"]  multipart POST (peak, file) with the climber token and an Idempotency-Key;
 *                                  problem+json errors land next to the field; on 201 the verdict is shown.
 *  [data-verdict-region]           holds /ui/partials/photos/{id} (fetched with the token), re-fetched on "photos".
 *  [data-progress-region]          holds /ui/partials/progress/{climber} (the tab's climber with its token, or
 *                                  data-climber as the acting party), re-fetched when topic "photos" is published.
 *  img[data-auth-src]              loaded with the token / acting party's key (an <img> cannot send headers);
 *                                  shown as a data: URL (the CSP allows img-src 'self' data:).
 */
(function () {
  "use strict";

  const CPA = window.CPA;
  if (!CPA) return;
  const KEY = "cpa.peaks.climber";

  function session() { try { return window.sessionStorage; } catch (e) { return null; } }

  function climber() {
    const s = session();
    try { return JSON.parse((s && s.getItem(KEY)) || "null"); } catch (e) { return null; }
  }

  function saveClimber(c) { const s = session(); if (s) s.setItem(KEY, JSON.stringify(c)); }
  function forgetClimber() { const s = session(); if (s) s.removeItem(KEY); }

  function tokenHeaders() {
    const c = climber();
    return c && c.token ? { Authorization: "Bearer " + c.token } : null;
  }

  /* ---- who is climbing in this tab ----------------------------------------------------------- */
  function renderClimber() {
    const c = climber();
    document.querySelectorAll("[data-climber-known]").forEach(function (el) { el.hidden = !c; });
    document.querySelectorAll("[data-climber-unknown]").forEach(function (el) { el.hidden = !!c; });
    document.querySelectorAll("[data-needs-climber]").forEach(function (el) { el.hidden = !!c; });
    document.querySelectorAll("[data-climber-name]").forEach(function (el) { el.textContent = c ? c.display_name : ""; });
    document.querySelectorAll("[data-climber-id]").forEach(function (el) { el.textContent = c ? c.id : ""; });
    document.querySelectorAll("[data-upload-as]").forEach(function (el) {
      el.textContent = c ? "as climber " + c.display_name : "";
    });
  }

  document.addEventListener("cpa:success", function (e) {
    const src = e.detail && e.detail.source;
    if (!src || src.id !== "register") return;
    const d = e.detail.data || {};
    if (d.id && d.token) {
      saveClimber({ id: d.id, token: d.token, display_name: d.display_name });
      renderClimber();
      const file = document.getElementById("f-upload-file");
      if (file) file.focus();
    }
  });

  document.addEventListener("click", function (e) {
    const t = e.target instanceof Element ? e.target.closest("[data-forget-climber]") : null;
    if (!t) return;
    forgetClimber();
    renderClimber();
    CPA.announce("Cleared. Register the next climber.");
    const first = document.querySelector("#register input");
    if (first) first.focus();
  });

  /* ---- fetch helpers ------------------------------------------------------------------------ */
  async function fetchHtml(url, headers) {
    try {
      const r = await fetch(url, { headers: Object.assign({ Accept: "text/html" }, headers || {}),
                                   credentials: "same-origin" });
      return r.ok ? await r.text() : null;
    } catch (e) { return null; }
  }

  function readAsDataUrl(blob) {
    return new Promise(function (resolve, reject) {
      const fr = new FileReader();
      fr.onload = function () { resolve(fr.result); };
      fr.onerror = reject;
      fr.readAsDataURL(blob);
    });
  }

  async function loadImages(root, headers) {
    const imgs = Array.from(root.querySelectorAll("img[data-auth-src]"));
    for (const img of imgs) {
      // Rendered for another acting party than the current one: a fresh render is on its way.
      const owner = headers ? null : img.closest("[data-rendered-for]");
      if (owner && owner.dataset.renderedFor !== CPA.actingParty()) continue;
      const url = img.getAttribute("data-auth-src");
      img.removeAttribute("data-auth-src");
      try {
        const r = await fetch(url, { headers: headers || CPA.authHeaders(), credentials: "same-origin" });
        if (r.ok) img.src = await readAsDataUrl(await r.blob());
      } catch (e) { /* leave the alt text */ }
    }
  }

  /* ---- upload ------------------------------------------------------------------------------- */
  async function showVerdict(region, photoId) {
    const headers = tokenHeaders();
    if (!region || !photoId || !headers) return;
    region.dataset.photo = photoId;
    const html = await fetchHtml("/ui/partials/photos/" + encodeURIComponent(photoId), headers);
    if (html === null) return;
    region.innerHTML = html;  // server-rendered by Jinja2 with autoescape
    region.dataset.refreshed = String(Number(region.dataset.refreshed || "0") + 1);
    await loadImages(region, headers);
  }

  async function upload(form, submitter) {
    CPA.clearErrors(form);
    const headers = tokenHeaders();
    if (!headers) {
      CPA.showProblem(form, { title: "Register first", detail: "Uploads are sent with a climber token: register in step 1." });
      return;
    }
    const fileInput = form.querySelector("input[type=file]");
    if (!fileInput || !fileInput.files || !fileInput.files.length) {
      CPA.showProblem(form, { title: "Check the form", errors: [{ field: "file", message: "Choose the summit photo to upload." }] });
      return;
    }
    const data = new FormData();
    data.append("peak", form.querySelector("[name=peak]").value);
    data.append("file", fileInput.files[0], fileInput.files[0].name || "summit.jpg");
    const key = window.crypto && window.crypto.randomUUID ? window.crypto.randomUUID()
      : Date.now().toString(36) + Math.random().toString(36).slice(2);
    if (submitter) submitter.disabled = true;
    form.setAttribute("aria-busy", "true");
    try {
      let response;
      try {
        response = await fetch(form.dataset.upload, {
          method: "POST", body: data, credentials: "same-origin",
          headers: Object.assign({ Accept: "application/json, application/problem+json", "Idempotency-Key": key }, headers) });
      } catch (e) {
        CPA.showProblem(form, { title: "Network error", detail: "The service could not be reached. Try again." });
        return;
      }
      let body = null;
      try { body = await response.json(); } catch (e) { body = null; }
      if (!response.ok) {
        CPA.showProblem(form, body && typeof body === "object" ? body : { title: response.statusText, status: response.status });
        return;
      }
      const words = { approved: "approved", needs_review: "waiting for review", rejected: "rejected" };
      CPA.announce("Photo " + (words[body.verdict] || body.verdict) + ", score " + body.score + ".");
      form.reset();
      const region = document.querySelector("[data-verdict-region]");
      await showVerdict(region, body.id);
      if (region) region.focus();
      document.dispatchEvent(new CustomEvent("peaks:uploaded", { detail: body }));
    } finally {
      if (submitter) submitter.disabled = false;
      form.removeAttribute("aria-busy");
    }
  }

  document.addEventListener("submit", function (e) {
    const form = e.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.upload) return;
    e.preventDefault();
    upload(form, e.submitter || form.querySelector("[type=submit]"));
  });

  /* ---- progress ----------------------------------------------------------------------------- */
  async function loadProgress(region) {
    const mine = climber();
    const wanted = region.dataset.climber || (mine && mine.id);
    if (!wanted) return;
    // The tab's own climber uses its token; another climber is shown as the acting party (Ulju-gun).
    const headers = mine && mine.id === wanted ? tokenHeaders() : CPA.authHeaders();
    const html = await fetchHtml("/ui/partials/progress/" + encodeURIComponent(wanted), headers);
    if (html === null) return;
    region.innerHTML = html;
    region.dataset.refreshed = String(Number(region.dataset.refreshed || "0") + 1);
  }

  /* ---- start -------------------------------------------------------------------------------- */
  renderClimber();
  // Regions that depend on the acting party cannot be rendered by the server (it does not know the
  // party chosen in this browser): fetch them once now, then on every event.
  document.querySelectorAll("[data-live-src*='{party}']").forEach(function (el) { CPA.refresh(el); });
  const progress = document.querySelector("[data-progress-region]");
  const verdict = document.querySelector("[data-verdict-region]");
  if (progress) loadProgress(progress);
  if (progress || verdict) {
    CPA.on("photos", function () {
      if (progress) loadProgress(progress);
      if (verdict && verdict.dataset.photo) showVerdict(verdict, verdict.dataset.photo);
    });
  }
  loadImages(document);
  document.addEventListener("cpa:updated", function (e) { loadImages(e.detail.region); });
})();
