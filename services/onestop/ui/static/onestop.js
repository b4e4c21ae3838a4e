/* Onestop pages. Runs after the kit's ui.js (both deferred).
 *
 *  The counsellors' views are kit live regions fetched as a fixed party (os_macros.region:
 *  data-live-party="bukgu-hub", data-live-load): they show personal data, so the page fetches them with
 *  the hub's key whoever the trainer acts as elsewhere. The inbox's ?party= quick-switch links are the kit's.
 *  The consent form: choosing the agency or the language fills in the registered purpose, retention
 *  period and refusal notice of that agency (the counsellor reads them to the resident).
 */
(function () {
  "use strict";

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

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", consentForm);
  else consentForm();
})();
