// The console's pathway tree editor. The page works without script: its textarea holds the
// definition as JSON, exactly as the API takes it. This draws that definition as a tree the
// issuer edits (add, remove, move nodes, change a node's kind and parameters, pick parts by
// achievement search), by mouse or keyboard, and writes every change back into the textarea,
// which is what the form sends. The server checks the definition as on the API.
(function () {
  "use strict";

  const form = document.getElementById("pathway-editor-form");
  const area = document.getElementById("definition");
  const mount = document.getElementById("tree-editor");
  const dataNode = document.getElementById("pathway-editor-data");
  if (!form || !area || !mount || !dataNode) { return; }
  const config = JSON.parse(dataNode.textContent);
  const t = config.texts;
  const GROUPS = new Set(config.groups);
  const names = Object.assign({}, config.names || {});

  let def;
  try { def = JSON.parse(area.value); } catch (error) { return; } // the textarea stays as it is
  if (!def || typeof def !== "object" || !def.requirement || typeof def.requirement !== "object") {
    return;
  }
  let selected = def.requirement;
  const problemNode = config.problemNode;

  // ---- small helpers ------------------------------------------------------------------------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) { continue; }
      if (key === "text") { node.textContent = value; } else { node.setAttribute(key, value === true ? "" : value); }
    }
    for (const child of children) { if (child) { node.append(child); } }
    return node;
  }

  function sync() { area.value = JSON.stringify(def, null, 2); }

  function say(message) {
    status.textContent = "";
    window.setTimeout(() => { status.textContent = message; }, 30);
  }

  function walk(node, parent, visit) {
    visit(node, parent);
    for (const child of node.of || []) { walk(child, node, visit); }
  }

  function parentOf(target) {
    let found = null;
    walk(def.requirement, null, (node, parent) => { if (node === target) { found = parent; } });
    return found;
  }

  function order() {
    const all = [];
    walk(def.requirement, null, (node) => all.push(node));
    return all;
  }

  function freshId() {
    const taken = new Set(order().map((node) => node.id));
    let n = taken.size + 1;
    while (taken.has("node" + n)) { n += 1; }
    return "node" + n;
  }

  function title(node) {
    const kind = t.types[node.type] || node.type || "?";
    let what = node.label || "";
    if (!what && node.type === "achievement") { what = names[node.achievement] || node.achievement || ""; }
    if (!what && node.type === "skill") { what = node.url || (node.framework ? node.framework + ":" + node.code : ""); }
    if (node.type === "nOf") { what = (node.n ?? "?") + " " + t.of + " " + (node.of || []).length; }
    if (node.type === "credits") { what = "≥ " + (node.min ?? "?") + " ECTS"; }
    return kind + (what ? ": " + what : "") + " (" + node.id + ")";
  }

  // ---- the micro-degree's own fields --------------------------------------------------------

  const head = el("fieldset", { class: "tree-head" }, el("legend", { text: t.micro }));
  function field(id, label, input) {
    head.append(el("label", { for: id, text: label }), input);
    return input;
  }
  const nameInput = field("te-name", t.name, el("input", { id: "te-name", type: "text", maxlength: "300" }));
  const descInput = field("te-description", t.description, el("textarea", { id: "te-description", rows: "3" }));
  const policy = field("te-policy", t.policy, el("select", { id: "te-policy" }));
  for (const value of config.policies) { policy.append(el("option", { value, text: t.policies[value] || value })); }
  const eqf = field("te-eqf", t.eqfRule, el("select", { id: "te-eqf" }));
  for (const value of ["max", "min", "1", "2", "3", "4", "5", "6", "7", "8"]) {
    eqf.append(el("option", { value, text: t.eqfRules[value] || value }));
  }
  let coChecks = [];
  if (config.issuers.length) {
    const box = el("fieldset", { class: "choices" }, el("legend", { text: t.coIssuers }));
    coChecks = config.issuers.map((issuer) => {
      const check = el("input", { type: "checkbox", value: issuer.id });
      box.append(el("label", {}, check, " " + issuer.name));
      check.addEventListener("change", () => {
        def.coIssuers = coChecks.filter((c) => c.checked).map((c) => c.value);
        sync();
      });
      return check;
    });
    head.append(box);
  }
  function fillHead() {
    nameInput.value = def.name || "";
    descInput.value = def.description || "";
    policy.value = def.onPartFailure || "suspend";
    eqf.value = String(def.eqfRule ?? "max");
    const chosen = new Set(def.coIssuers || []);
    coChecks.forEach((check) => { check.checked = chosen.has(check.value); });
  }
  nameInput.addEventListener("input", () => { def.name = nameInput.value; sync(); });
  descInput.addEventListener("input", () => { def.description = descInput.value; sync(); });
  policy.addEventListener("change", () => { def.onPartFailure = policy.value; sync(); });
  eqf.addEventListener("change", () => {
    def.eqfRule = /^\d$/.test(eqf.value) ? Number(eqf.value) : eqf.value;
    sync();
  });

  // ---- the tree -----------------------------------------------------------------------------

  const treeHeading = el("h2", { id: "te-tree-h", text: t.tree });
  const help = el("p", { class: "hint", id: "te-tree-help", text: t.treeHelp });
  const tree = el("ul", { role: "tree", class: "pathway-tree", "aria-labelledby": "te-tree-h", "aria-describedby": "te-tree-help" });
  const status = el("p", { role: "status", class: "tree-status", id: "te-status" });
  const items = new Map();

  function drawTree(focus) {
    items.clear();
    tree.replaceChildren(drawItem(def.requirement, 1, 1, 1));
    const item = items.get(selected) || items.get(def.requirement);
    if (item) {
      item.setAttribute("tabindex", "0");
      item.setAttribute("aria-selected", "true");
      if (focus) { item.focus(); }
    }
  }

  function drawItem(node, level, position, size) {
    const label = el("span", { class: "tree-label", text: title(node) });
    const item = el("li", {
      role: "treeitem",
      "aria-level": String(level),
      "aria-posinset": String(position),
      "aria-setsize": String(size),
      "aria-selected": "false",
      tabindex: "-1",
      class: (GROUPS.has(node.type) ? "group" : "part") + (problemNode && node.id === problemNode ? " tree-problem" : ""),
      "data-node": node.id,
    }, label);
    if (problemNode && node.id === problemNode) { item.setAttribute("aria-describedby", "problem"); }
    items.set(node, item);
    item.addEventListener("click", (event) => {
      event.stopPropagation();
      choose(node, true);
    });
    if (GROUPS.has(node.type)) {
      item.setAttribute("aria-expanded", "true");
      const children = node.of || [];
      if (children.length) {
        const group = el("ul", { role: "group" });
        children.forEach((child, index) => group.append(drawItem(child, level + 1, index + 1, children.length)));
        item.append(group);
      }
    }
    return item;
  }

  function choose(node, focus) {
    selected = node;
    for (const item of items.values()) {
      item.setAttribute("tabindex", "-1");
      item.setAttribute("aria-selected", "false");
    }
    const item = items.get(node);
    item.setAttribute("tabindex", "0");
    item.setAttribute("aria-selected", "true");
    if (focus) { item.focus(); }
    drawDetails();
    drawActions();
  }

  // ---- moving nodes -------------------------------------------------------------------------

  function changed(message, focusTree) {
    sync();
    drawTree(focusTree);
    drawDetails();
    drawActions();
    if (message) { say(message); }
  }

  function addChild() {
    const group = GROUPS.has(selected.type) ? selected : parentOf(selected);
    if (!group) { return; }
    const node = { id: freshId(), type: "achievement", achievement: "" };
    group.of = group.of || [];
    const at = group === selected ? group.of.length : group.of.indexOf(selected) + 1;
    group.of.splice(at, 0, node);
    selected = node;
    changed(t.added, true);
  }

  function remove() {
    const parent = parentOf(selected);
    if (!parent) { say(t.rootLocked); return; }
    const index = parent.of.indexOf(selected);
    parent.of.splice(index, 1);
    selected = parent.of[Math.min(index, parent.of.length - 1)] || parent;
    changed(t.removed, true);
  }

  function move(step) {
    const parent = parentOf(selected);
    if (!parent) { say(t.rootLocked); return; }
    const index = parent.of.indexOf(selected);
    const to = index + step;
    if (to < 0 || to >= parent.of.length) { return; }
    parent.of.splice(index, 1);
    parent.of.splice(to, 0, selected);
    changed(t.moved, true);
  }

  function outdent() {
    const parent = parentOf(selected);
    const grand = parent && parentOf(parent);
    if (!grand) { say(parent ? t.notGroup : t.rootLocked); return; }
    parent.of.splice(parent.of.indexOf(selected), 1);
    grand.of.splice(grand.of.indexOf(parent) + 1, 0, selected);
    changed(t.moved, true);
  }

  function indent() {
    const parent = parentOf(selected);
    if (!parent) { say(t.rootLocked); return; }
    const index = parent.of.indexOf(selected);
    const above = parent.of[index - 1];
    if (!above || !GROUPS.has(above.type)) { say(t.notGroup); return; }
    parent.of.splice(index, 1);
    above.of = above.of || [];
    above.of.push(selected);
    changed(t.moved, true);
  }

  // Focus and choice go together (a screen reader's or a script's focus chooses the node too).
  tree.addEventListener("focusin", (event) => {
    const item = event.target.closest("[role=treeitem]");
    for (const [node, drawn] of items) {
      if (drawn === item && node !== selected) { choose(node, false); }
    }
  });

  tree.addEventListener("keydown", (event) => {
    const all = order();
    const index = all.indexOf(selected);
    const parent = parentOf(selected);
    let handled = true;
    if (event.altKey && event.key === "ArrowUp") { move(-1); }
    else if (event.altKey && event.key === "ArrowDown") { move(1); }
    else if (event.altKey && event.key === "ArrowLeft") { outdent(); }
    else if (event.altKey && event.key === "ArrowRight") { indent(); }
    else if (event.key === "ArrowDown") { if (index < all.length - 1) { choose(all[index + 1], true); } }
    else if (event.key === "ArrowUp") { if (index > 0) { choose(all[index - 1], true); } }
    else if (event.key === "ArrowRight") { if ((selected.of || []).length) { choose(selected.of[0], true); } }
    else if (event.key === "ArrowLeft") { if (parent) { choose(parent, true); } }
    else if (event.key === "Home") { choose(all[0], true); }
    else if (event.key === "End") { choose(all[all.length - 1], true); }
    else if (event.key === "Insert" || event.key === "+") { addChild(); }
    else if (event.key === "Delete") { remove(); }
    else if (event.key === "Enter") { const first = details.querySelector("input, select"); if (first) { first.focus(); } }
    else { handled = false; }
    if (handled) { event.preventDefault(); }
  });

  // ---- the chosen node's actions and fields -------------------------------------------------

  const actions = el("div", { class: "tree-actions", role: "group", "aria-label": t.actions });
  function button(text, handler, disabled) {
    const b = el("button", { type: "button", text, disabled: disabled ? true : null });
    b.addEventListener("click", handler);
    return b;
  }
  function drawActions() {
    const parent = parentOf(selected);
    const index = parent ? parent.of.indexOf(selected) : -1;
    actions.replaceChildren(
      button(t.addChild, addChild, false),
      button(t.remove, remove, !parent),
      button(t.up, () => move(-1), !parent || index === 0),
      button(t.down, () => move(1), !parent || index === parent.of.length - 1),
      button(t.outdent, outdent, !parent || !parentOf(parent)),
      button(t.indent, indent, !parent || !(index > 0 && GROUPS.has(parent.of[index - 1].type))),
    );
  }

  const details = el("fieldset", { class: "tree-node", id: "te-node" });

  function number(text) {
    const value = text.trim().replace(",", ".");
    if (!value) { return undefined; }
    const parsed = Number(value);
    return Number.isFinite(parsed) ? parsed : value; // not a number: the server says what it expected
  }

  function input(key, label, value, onInput, attrs) {
    const id = "te-" + key;
    const box = el("input", Object.assign({ id, type: "text", value: value ?? "" }, attrs || {}));
    box.addEventListener("input", () => { onInput(box.value); sync(); relabel(); });
    details.append(el("label", { for: id, text: label }), box);
    return box;
  }

  function setOrDrop(key, value) {
    if (value === undefined || value === "" || (Array.isArray(value) && !value.length)) { delete selected[key]; }
    else { selected[key] = value; }
  }

  function relabel() {
    const item = items.get(selected);
    if (item) {
      item.querySelector(".tree-label").textContent = title(selected);
      item.dataset.node = selected.id;
    }
  }

  function drawDetails() {
    const node = selected;
    details.replaceChildren(el("legend", { text: t.node + " " + node.id }));
    input("id", t.id, node.id, (value) => {
      node.id = value.trim();
      details.querySelector("legend").textContent = t.node + " " + node.id;
    }, { maxlength: "64" });
    const type = el("select", { id: "te-type" });
    for (const kind of config.types) { type.append(el("option", { value: kind, text: t.types[kind] || kind })); }
    type.value = node.type;
    type.addEventListener("change", () => {
      if (!GROUPS.has(type.value) && (node.of || []).length) {
        type.value = node.type;
        say(t.notGroup);
        return;
      }
      retype(node, type.value);
      changed(null, false);
      document.getElementById("te-type").focus();
    });
    details.append(el("label", { for: "te-type", text: t.type }), type);
    if (node.type === "nOf") { input("n", t.n, node.n, (v) => setOrDrop("n", number(v)), { inputmode: "numeric" }); }
    if (node.type === "credits") { input("min", t.min, node.min, (v) => setOrDrop("min", number(v)), { inputmode: "decimal" }); }
    if (node.type === "achievement") { searchBox(node); }
    if (node.type === "skill") { input("url", t.skill, node.url, (v) => setOrDrop("url", v.trim())); }
    if (!GROUPS.has(node.type)) {
      input("credits", t.credits, node.credits, (v) => setOrDrop("credits", number(v)), { inputmode: "decimal" });
    }
    input("label", t.label, node.label, (v) => setOrDrop("label", v), { maxlength: "300" });
    input("minEqf", t.minEqf, node.minEqf, (v) => setOrDrop("minEqf", number(v)), { inputmode: "numeric" });
    input("withinMonths", t.withinMonths, node.withinMonths, (v) => setOrDrop("withinMonths", number(v)), { inputmode: "numeric" });
    input("after", t.after, (node.after || []).join(", "), (v) => setOrDrop("after", v.split(",").map((s) => s.trim()).filter(Boolean)));
  }

  function retype(node, kind) {
    for (const key of ["n", "min", "achievement", "url", "framework", "code", "credits"]) { delete node[key]; }
    node.type = kind;
    if (GROUPS.has(kind)) { node.of = node.of || []; } else { delete node.of; }
    if (kind === "nOf") { node.n = 1; }
    if (kind === "credits") { node.min = 1; }
    if (kind === "achievement") { node.achievement = ""; }
    if (kind === "skill") { node.url = ""; }
  }

  // The part chooser: a combobox over the server's achievements, by a piece of their name.
  function searchBox(node) {
    const list = el("ul", { role: "listbox", id: "te-search-list", class: "tree-search-list", hidden: true, "aria-label": t.search });
    const box = el("input", {
      id: "te-search", type: "text", role: "combobox", "aria-autocomplete": "list",
      "aria-expanded": "false", "aria-controls": list.id, "aria-describedby": "te-search-hint", autocomplete: "off",
    });
    const idBox = el("input", { id: "te-achievement", type: "text", value: node.achievement || "" });
    let found = [];
    let active = -1;
    let timer = null;
    function close() {
      list.hidden = true;
      box.setAttribute("aria-expanded", "false");
      box.removeAttribute("aria-activedescendant");
      active = -1;
    }
    function show() {
      list.replaceChildren(...(found.length ? found.map((a, i) => {
        const option = el("li", { role: "option", id: "te-opt-" + i, "aria-selected": i === active ? "true" : "false" },
          a.name + " — " + a.issuer + (a.ours ? " (" + t.ours + ")" : ""));
        option.addEventListener("mousedown", (event) => { event.preventDefault(); pick(a); });
        return option;
      }) : [el("li", { role: "option", "aria-disabled": "true", "aria-selected": "false", text: t.noMatch })]));
      list.hidden = false;
      box.setAttribute("aria-expanded", "true");
      if (active >= 0) { box.setAttribute("aria-activedescendant", "te-opt-" + active); }
    }
    function pick(achievement) {
      node.achievement = achievement.id;
      names[achievement.id] = achievement.name;
      idBox.value = achievement.id;
      box.value = achievement.name;
      close();
      sync();
      relabel();
    }
    async function search(text) {
      const response = await fetch(config.search + "?q=" + encodeURIComponent(text), { credentials: "same-origin" });
      if (!response.ok) { return; }
      found = await response.json();
      active = -1;
      show();
    }
    box.addEventListener("input", () => {
      window.clearTimeout(timer);
      const text = box.value.trim();
      if (text.length < 1) { close(); return; }
      timer = window.setTimeout(() => search(text), 150);
    });
    box.addEventListener("keydown", (event) => {
      if (list.hidden || !found.length) { return; }
      if (event.key === "ArrowDown") { active = Math.min(found.length - 1, active + 1); show(); event.preventDefault(); }
      else if (event.key === "ArrowUp") { active = Math.max(0, active - 1); show(); event.preventDefault(); }
      else if (event.key === "Enter" && active >= 0) { pick(found[active]); event.preventDefault(); }
      else if (event.key === "Escape") { close(); event.preventDefault(); }
    });
    box.addEventListener("blur", () => window.setTimeout(close, 100));
    idBox.addEventListener("input", () => { node.achievement = idBox.value.trim(); sync(); relabel(); });
    details.append(
      el("label", { for: "te-search", text: t.search }),
      el("span", { class: "hint", id: "te-search-hint", text: t.searchHint }),
      el("div", { class: "tree-search" }, box, list),
      el("label", { for: "te-achievement", text: t.achievement }),
      idBox,
    );
  }

  // ---- the JSON, still there to edit --------------------------------------------------------

  const fallback = document.getElementById("json-fallback");
  const json = el("details", { class: "tree-json" }, el("summary", { text: t.json }));
  fallback.replaceWith(json);
  json.append(fallback);
  area.addEventListener("input", () => {
    try {
      const next = JSON.parse(area.value);
      if (!next || typeof next !== "object" || !next.requirement || typeof next.requirement !== "object") { throw new Error("shape"); }
      def = next;
      selected = def.requirement;
      fillHead();
      drawTree(false);
      drawDetails();
      drawActions();
    } catch (error) {
      say(t.badJson);
    }
  });

  const layout = el("div", { class: "tree-layout" },
    el("div", { class: "tree-pane" }, treeHeading, help, tree, actions, status),
    details);
  mount.replaceChildren(head, layout);
  mount.hidden = false;
  fillHead();
  if (problemNode) {
    const named = order().find((node) => node.id === problemNode);
    if (named) { selected = named; }
  }
  drawTree(false);
  drawDetails();
  drawActions();
  form.addEventListener("submit", sync);
})();
