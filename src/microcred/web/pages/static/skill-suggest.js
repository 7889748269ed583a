// The achievement editor's skill search: each alignment's label is a combobox (the ARIA 1.2
// list-autocomplete pattern) over the taxonomy's skills (O*NET, and ESCO where imported).
// Typing two letters asks /api/v1/skills/suggest; Down and Up move through the list, Enter
// picks, Escape closes. Picking fills the row's framework and code (the taxonomy's id, which the
// careers matcher reads exactly), and for an ESCO skill its concept URI as the web address.
(function () {
  "use strict";

  const box = document.getElementById("alignments");
  if (!box) { return; }
  const status = document.getElementById("skill-status");
  const words = box.dataset;
  const list = document.createElement("ul");
  list.id = "skill-suggestions";
  list.className = "skill-list";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", words.listLabel || "Skills");
  list.hidden = true;
  // In the document from the start (aria-controls names it), then under the label being typed.
  box.querySelector('input[name^="alignment_name_"]').after(list);
  let skills = [];
  let active = -1;
  let owner = null;
  let timer = null;
  let asked = 0;

  function say(text) { status.textContent = text; }

  function row(input, kind) {
    const index = input.name.slice("alignment_name_".length);
    return box.querySelector('[name="alignment_' + kind + "_" + index + '"]');
  }

  function close() {
    list.hidden = true;
    active = -1;
    if (owner) {
      owner.setAttribute("aria-expanded", "false");
      owner.removeAttribute("aria-activedescendant");
    }
  }

  function highlight(index) {
    active = index;
    list.querySelectorAll('[role="option"]').forEach((option, i) => {
      option.setAttribute("aria-selected", i === index ? "true" : "false");
    });
    if (index >= 0) {
      owner.setAttribute("aria-activedescendant", "skill-option-" + index);
      list.children[index].scrollIntoView({ block: "nearest" });
    } else {
      owner.removeAttribute("aria-activedescendant");
    }
  }

  function show(input, found) {
    owner = input;
    skills = found;
    input.after(list);
    list.replaceChildren(...found.map((skill, i) => {
      const option = document.createElement("li");
      option.id = "skill-option-" + i;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.dataset.id = skill.id;
      const name = document.createElement("span");
      name.textContent = skill.name;
      const meta = document.createElement("span");
      meta.className = "skill-meta";
      meta.textContent = skill.framework === "esco" ? "ESCO" : "O*NET · " + skill.category;
      option.append(name, " ", meta);
      option.addEventListener("mousedown", (event) => { event.preventDefault(); pick(i); });
      return option;
    }));
    list.hidden = found.length === 0;
    input.setAttribute("aria-expanded", found.length ? "true" : "false");
    active = -1;
    say(found.length ? words.found.replace("%(count)s", found.length) : words.none);
  }

  function pick(index) {
    const skill = skills[index];
    const input = owner;
    if (!skill || !input) { return; }
    input.value = skill.name;
    const framework = row(input, "framework");
    const code = row(input, "code");
    const url = row(input, "url");
    if (framework) { framework.value = skill.framework === "esco" ? "ESCO" : "O*NET"; }
    if (code) { code.value = skill.id; }
    if (url && skill.framework === "esco") { url.value = skill.id; }
    close();
    input.focus();
    const needsUrl = url && !url.value;
    say(words.picked.replace("%(name)s", skill.name) + (needsUrl ? " " + words.urlNeeded : ""));
  }

  async function search(input) {
    const text = input.value.trim();
    if (text.length < 2) { close(); return; }
    const mine = ++asked;
    const response = await fetch("/api/v1/skills/suggest?limit=10&q=" + encodeURIComponent(text));
    if (!response.ok || mine !== asked) { return; }
    show(input, await response.json());
  }

  box.querySelectorAll('input[name^="alignment_name_"]').forEach((input) => {
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("autocomplete", "off");
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => search(input), 150);
    });
    input.addEventListener("keydown", (event) => {
      const open = !list.hidden && owner === input;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (!open) { search(input); return; }
        highlight(Math.min(active + 1, skills.length - 1));
      } else if (event.key === "ArrowUp" && open) {
        event.preventDefault();
        highlight(Math.max(active - 1, 0));
      } else if (event.key === "Enter" && open && active >= 0) {
        event.preventDefault(); // pick, do not submit the form
        pick(active);
      } else if (event.key === "Escape" && open) {
        event.preventDefault();
        close();
      }
    });
    input.addEventListener("blur", () => { if (owner === input) { close(); } });
  });
})();
