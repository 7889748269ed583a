// The badge designer's live preview: as the issuer changes a parameter, the preview image is
// drawn again by the server (the same drawing that is stored), and "Design a badge here" is
// chosen. Without this script the form's "Preview the badge" button does the same by a post;
// with it the button goes, so Enter in a field saves (the first submit button is the default).
(function () {
  "use strict";

  const root = document.getElementById("badge-designer");
  if (!root) { return; }
  const form = root.closest("form");
  const caption = document.getElementById("designer-caption");
  const inputs = {
    shape: "badge_shape",
    background: "badge_background",
    border: "badge_border",
    text_colour: "badge_text_colour",
    line1: "badge_line1",
    line2: "badge_line2",
    icon: "badge_icon",
  };
  let image = document.getElementById("badge-design-preview");
  const button = document.getElementById("preview-badge");
  if (button) { button.remove(); }
  let timer = null;

  function address() {
    const query = new URLSearchParams();
    for (const [key, name] of Object.entries(inputs)) {
      const field = form.elements[name];
      query.set(key, field ? field.value : "");
    }
    return "/console/achievements/badge-preview.svg?" + query.toString();
  }

  function redraw() {
    if (!image) {
      image = document.createElement("img");
      image.id = "badge-design-preview";
      image.width = 200;
      image.height = 200;
      image.alt = caption.dataset.alt || caption.textContent;
      root.querySelector(".designer-preview").prepend(image);
    }
    image.src = address();
  }

  root.addEventListener("input", (event) => {
    if (!event.target.name || !event.target.name.startsWith("badge_")) { return; }
    const source = form.querySelector('input[name="badge_source"][value="design"]');
    if (source) { source.checked = true; }
    clearTimeout(timer);
    timer = setTimeout(redraw, 150);
  });
  root.addEventListener("error", (event) => {
    if (event.target === image) { caption.textContent = caption.dataset.failed || caption.textContent; }
  }, true);
  root.addEventListener("load", (event) => {
    if (event.target === image) { caption.textContent = caption.dataset.alt || caption.textContent; }
  }, true);
})();
