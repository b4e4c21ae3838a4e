/* Roadkill pages, after the kit's ui.js (both deferred):
 *  - catch-up refresh: when the event stream (re)opens, every live region is fetched once more. The
 *    stream only reports changes after its first version poll, so a change made between the page
 *    render and that poll (or while reconnecting) would otherwise never reach the page;
 *  - live regions in [data-live-pause-while-editing] (the console's forms) are not replaced while focus is in
 *    them or a disclosure in them is open: a live update must not wipe what a trainer is typing. They
 *    catch up as soon as the trainer leaves them; their own forms still refresh them on success. */
(function () {
  "use strict";

  function catchUpOnOpen() {
    let timer = null;
    new MutationObserver(function () {
      if (document.body.dataset.sseState !== "open" || !window.CPA) return;
      window.clearTimeout(timer);
      // after the stream's first version poll, so nothing falls between the fetch and the poll
      timer = window.setTimeout(function () {
        document.querySelectorAll("[data-live-src]:not([data-live-paused])").forEach(function (el) {
          window.CPA.refresh(el);
        });
      }, 400);
    }).observe(document.body, { attributes: true, attributeFilter: ["data-sse-state"] });
  }

  function pauseWhileEditing(wrapper) {
    const region = wrapper.matches("[data-live-src]") ? wrapper : wrapper.querySelector("[data-live-src]");
    if (!region) return;
    const topics = region.dataset.liveTopics || "";
    function busy() {
      const active = document.activeElement;
      return (active && active !== region && region.contains(active))
        || !!region.querySelector("[data-disclosure][aria-expanded='true']");
    }
    function update() {
      if (busy()) {
        if (!region.dataset.livePaused) {  // ui.js only re-fetches regions that carry data-live-topics
          region.dataset.livePaused = "true";
          delete region.dataset.liveTopics;
        }
      } else if (region.dataset.livePaused) {
        delete region.dataset.livePaused;
        region.dataset.liveTopics = topics;
        if (window.CPA) window.CPA.refresh(region);  // catch up on what happened meanwhile
      }
    }
    function later() { window.setTimeout(update, 0); }
    region.addEventListener("focusin", update);
    region.addEventListener("focusout", later);
    region.addEventListener("click", later);
    document.addEventListener("cpa:updated", function (e) { if (e.detail && e.detail.region === region) later(); });
  }

  catchUpOnOpen();
  document.querySelectorAll("[data-live-pause-while-editing]").forEach(pauseWhileEditing);
})();
