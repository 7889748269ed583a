// Copy buttons for long identifiers (DIDs, links, hashes). The page carries them hidden: without
// this script (or without a clipboard) the identifier is still there to select by hand. No
// inline script: the Content-Security-Policy allows only files from our origin.
(function () {
  "use strict";

  function fallbackCopy(text) {
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.appendChild(area);
    area.select();
    const done = document.execCommand("copy");
    area.remove();
    return done;
  }

  async function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
    return fallbackCopy(text);
  }

  function setUp(button) {
    const source = document.getElementById(button.dataset.copy);
    const status = button.parentElement.querySelector(".copy-status");
    if (!source) { return; }
    button.hidden = false;
    button.addEventListener("click", async () => {
      const text = source.dataset.value || source.textContent.trim();
      let ok = false;
      try { ok = await copy(text); } catch (error) { ok = false; }
      if (status) {
        status.textContent = ok ? button.dataset.copied : button.dataset.failed;
        status.dataset.state = ok ? "copied" : "failed";
      }
    });
  }

  function start() { document.querySelectorAll("button[data-copy]").forEach(setUp); }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
