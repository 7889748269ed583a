// The achievement editor's skill suggestions: as the issuer types a skill label, the taxonomy's
// matching skills (O*NET, and ESCO where imported) are offered in a datalist; choosing an ESCO
// skill fills its concept URI as the web address and the framework, an O*NET one the framework.
(function () {
  "use strict";

  const list = document.createElement("datalist");
  list.id = "skill-suggestions";
  document.body.appendChild(list);
  let found = new Map();
  let timer = null;

  async function suggest(text) {
    const response = await fetch("/api/v1/skills/suggest?limit=10&q=" + encodeURIComponent(text));
    if (!response.ok) { return; }
    const skills = await response.json();
    found = new Map(skills.map((s) => [s.name, s]));
    list.replaceChildren(...skills.map((s) => {
      const option = document.createElement("option");
      option.value = s.name;
      option.label = s.framework === "esco" ? "ESCO" : "O*NET · " + s.category;
      return option;
    }));
  }

  function chosen(input) {
    const skill = found.get(input.value);
    if (!skill) { return; }
    const index = input.name.slice("alignment_name_".length);
    const url = document.querySelector('[name="alignment_url_' + index + '"]');
    const framework = document.querySelector('[name="alignment_framework_' + index + '"]');
    if (framework && !framework.value) { framework.value = skill.framework === "esco" ? "ESCO" : "O*NET"; }
    if (url && !url.value && skill.framework === "esco") { url.value = skill.id; }
  }

  document.querySelectorAll('input[name^="alignment_name_"]').forEach((input) => {
    input.setAttribute("list", list.id);
    input.setAttribute("autocomplete", "off");
    input.addEventListener("input", () => {
      clearTimeout(timer);
      chosen(input);
      const text = input.value.trim();
      if (text.length >= 2) { timer = setTimeout(() => suggest(text), 150); }
    });
  });
})();
