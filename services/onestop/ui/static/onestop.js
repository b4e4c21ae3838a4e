/* Onestop pages. Runs after the kit's ui.js (both deferred); uses window.CPA.
 *
 *  [data-os-src][data-os-party][data-os-topics="a b"]   a region fetched as a fixed party (the counsellors'
 *      views: they show personal data, so the page fetches them with bukgu-hub's key, whoever the trainer
 *      acts as elsewhere); re-fetched when a topic is published, and when an action on the page succeeds
 *      whose data-refresh names the region.
 *  ?party=<code>   the inbox's quick-switch links: act as that party.
 *  Regions of the kit whose data-live-src names {party} are loaded at once for the acting party.
 *  The consent form: choosing the agency or the language fills in the registered purpose, retention
 *  period and refusal notice of that agency (the counsellor reads them to the resident).
 */
(function () {
  "use strict";

  async function load(el) {
    if (el._busy) { el._again = true; return; }
    el._busy = true;
    el.setAttribute("aria-busy", "true");
    try {
      const headers = Object.assign({ Accept: "text/html" }, window.CPA.authHeaders(el.dataset.osParty || undefined));
      const response = await fetch(el.dataset.osSrc, { headers: headers, credentials: "same-origin" });
      if (response.ok) {
        const html = await response.text();
        const focusedId = el.contains(document.activeElement) ? document.activeElement.id : "";
        el.innerHTML = html;  // server-rendered by Jinja2 with autoescape
        el.dataset.refreshed = String(Number(el.dataset.refreshed || "0") + 1);
        if (focusedId) { const again = document.getElementById(focusedId); if (again) again.focus(); }
        document.dispatchEvent(new CustomEvent("cpa:updated", { detail: { region: el } }));
      }
    } catch (e) {
      /* the next event retries */
    } finally {
      el._busy = false;
      el.removeAttribute("aria-busy");
      if (el._again) { el._again = false; load(el); }
    }
  }

  function schedule(el) {
    window.clearTimeout(el._debounce);
    el._debounce = window.setTimeout(function () { load(el); }, 120);
  }

  function consentForm() {
    const recipient = document.querySelector("[data-consent-recipient]");
    if (!recipient) return;
    const form = recipient.form;
    const language = form.querySelector("[data-consent-language]");
    const refusal = document.querySelector("[data-refusal-text]");
    const cats = form.querySelector("[data-consent-categories]");
    function fill(changedAgency) {
      const opt = recipient.selectedOptions[0];
      if (!opt || !opt.value) return;
      const ko = language && language.value === "ko";
      const pick = function (name) { return opt.dataset[name + (ko ? "Ko" : "En")] || ""; };
      form.elements.purpose.value = pick("purpose");
      form.elements.retention.value = pick("retention");
      if (refusal) { refusal.textContent = pick("refusal"); refusal.lang = ko ? "ko" : "en"; }
      if (changedAgency && cats) {
        const needed = (opt.dataset.needed || "").split(/\s+/);
        Array.from(cats.options).forEach(function (o) {
          o.selected = needed.indexOf(o.value) !== -1 && o.dataset.sensitive !== "true";
        });
      }
    }
    recipient.addEventListener("change", function () { fill(true); });
    if (language) language.addEventListener("change", function () { fill(false); });
  }

  function start() {
    const cpa = window.CPA;
    if (!cpa) return;
    document.querySelectorAll("[data-os-src]").forEach(function (el) {
      load(el);
      (el.dataset.osTopics || "").split(/\s+/).filter(Boolean).forEach(function (t) {
        cpa.on(t, function () { schedule(el); });
      });
    });
    document.addEventListener("cpa:success", function (e) {
      const src = e.detail && e.detail.source;
      const wanted = (src && src.dataset && src.dataset.refresh) || "";
      wanted.split(/\s+/).filter(Boolean).forEach(function (sel) {
        document.querySelectorAll(sel).forEach(function (el) { if (el.dataset.osSrc) schedule(el); });
      });
    });
    consentForm();
    const wanted = new URLSearchParams(window.location.search).get("party");
    const sel = document.querySelector("select[data-party-switcher]");
    const known = sel && wanted && Array.from(sel.options).some(function (o) { return o.value === wanted; });
    if (known && sel.value !== wanted) {
      cpa.setActingParty(wanted);  // re-fetches the regions whose source names {party}
      return;
    }
    document.querySelectorAll("[data-live-src*='{party}']").forEach(function (el) { cpa.refresh(el); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
