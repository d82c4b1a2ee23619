// The matdiff page: sends the expression and the choices to POST api/derive and shows the
// answer (the object `matdiff EXPR --json` prints). No build step; KaTeX renders the LaTeX
// as MathML. User text only ever enters the page as text nodes, never as HTML.
"use strict";

(() => {
  const KINDS = ["scalar", "vector", "matrix", "symmetric matrix", "mask"];
  const KIND_WORDS = new Set(["scalar", "vector", "matrix", "symmetric", "mask"]);
  const NAME = /[\p{L}_][\p{L}\p{N}_]*/gu;
  const KNOWN_RESULT_KEYS = new Set(["wrt", "kind", "shape", "text", "latex", "map",
    "map_latex", "check", "steps", "verify"]);
  const KNOWN_TOP_KEYS = new Set(["expression", "function", "types", "results", "skipped",
    "warnings", "version"]);

  const $ = (id) => document.getElementById(id);
  const form = $("form");
  const input = $("expression");
  const examples = $("examples");
  const stepsBox = $("steps");
  const codeBox = $("code");
  const answer = $("answer");
  const status = $("status");

  const state = {
    overrides: {}, // name -> {kind, sizes}: the declarations the user made in the table
    chosen: null, // null: every variable; else a Set of the names to differentiate by
    types: {}, // name -> "matrix(n, m)", from the last answer
    typesOf: null, // the expression those types belong to
    seq: 0, // the number of the latest request; older answers are dropped
    examples: [],
  };

  // ---- small helpers ------------------------------------------------------------------

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else if (v !== null && v !== undefined && v !== false) node.setAttribute(k, v);
    }
    for (const c of children) node.append(c);
    return node;
  }

  function typeset(latex, node, display = true) {
    node.classList.add("math");
    if (window.katex) {
      window.katex.render(latex, node, { output: "mathml", displayMode: display,
        throwOnError: false });
    } else {
      node.textContent = latex;
    }
    return node;
  }

  function names(text) {
    return new Set(text.match(NAME) || []);
  }

  // Names declared in the expression's own `where` clause: the table cannot change those.
  function whereNames(text) {
    const m = /\bwhere\b([\s\S]*)$/.exec(text);
    if (!m) return new Set();
    const words = m[1].replace(/\([^)]*\)/g, " ").match(NAME) || [];
    return new Set(words.filter((w) => !KIND_WORDS.has(w)));
  }

  // "symmetric matrix(n)" -> {kind: "symmetric matrix", sizes: "n"}
  function splitType(type) {
    const m = /^([^(]*?)\s*(?:\((.*)\))?$/.exec(type);
    return { kind: m[1], sizes: m[2] || "" };
  }

  function dims(shape) {
    const { sizes } = splitType(shape);
    return sizes ? sizes.split(",").map((s) => s.trim()).join(" × ") : "scalar";
  }

  function declaration(o) {
    const sizes = o.sizes.trim();
    return sizes && o.kind !== "scalar" ? `${o.kind}(${sizes})` : o.kind;
  }

  // ---- the request and the address ------------------------------------------------------

  function order() {
    return document.querySelector('input[name="order"]:checked').value;
  }

  function request() {
    const text = input.value;
    const present = names(text);
    const inWhere = whereNames(text);
    const declarations = {};
    for (const [name, o] of Object.entries(state.overrides)) {
      if (present.has(name) && !inWhere.has(name)) declarations[name] = declaration(o);
    }
    let wrt = [];
    if (state.chosen) {
      wrt = [...state.chosen].filter((n) => present.has(n));
      if (!wrt.length) state.chosen = null;
    }
    const body = { expression: text, wrt, hessian: order() === "hessian", declarations,
      check: true };
    if (stepsBox.checked) body.steps = true;
    if (codeBox.value) body.code = codeBox.value;
    const candidate = answer.value.trim();
    if (candidate) {
      const differentiable = Object.entries(state.types)
        .filter(([, t]) => splitType(t).kind !== "mask").map(([n]) => n);
      const one = wrt.length === 1 ? wrt
        : (!wrt.length && differentiable.length === 1 ? differentiable : null);
      if (one) {
        body.wrt = one;
        body.verify = candidate;
      }
    }
    return body;
  }

  function saveAddress(body) {
    const p = new URLSearchParams();
    p.set("expr", body.expression);
    for (const w of body.wrt) p.append("wrt", w);
    for (const [n, k] of Object.entries(body.declarations)) p.append("declare", `${n}: ${k}`);
    if (body.hessian) p.set("hessian", "1");
    if (body.steps) p.set("steps", "1");
    if (body.code) p.set("code", body.code);
    if (body.verify) p.set("answer", body.verify);
    history.replaceState(null, "", "#" + p.toString());
  }

  function loadAddress() {
    const raw = location.hash.length > 1 ? location.hash.slice(1) : location.search.slice(1);
    const p = new URLSearchParams(raw);
    if (!p.has("expr")) return false;
    input.value = p.get("expr");
    const wrt = p.getAll("wrt").filter(Boolean);
    state.chosen = wrt.length ? new Set(wrt) : null;
    state.overrides = {};
    for (const d of p.getAll("declare")) {
      const i = d.indexOf(":");
      if (i > 0) state.overrides[d.slice(0, i).trim()] = splitType(d.slice(i + 1).trim());
    }
    document.querySelector(`input[name="order"][value="${p.get("hessian") ? "hessian" : "first"}"]`)
      .checked = true;
    stepsBox.checked = Boolean(p.get("steps"));
    codeBox.value = p.get("code") || "";
    answer.value = p.get("answer") || "";
    if (answer.value) $("answer-box").open = true;
    derive();
    return true;
  }

  // ---- deriving -------------------------------------------------------------------------

  async function derive() {
    const body = request();
    const seq = ++state.seq;
    saveAddress(body);
    status.textContent = "Deriving…";
    document.body.classList.add("busy");
    let out;
    try {
      const res = await fetch("api/derive", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      try {
        out = await res.json();
      } catch {
        out = { error: { message: `the server answered HTTP ${res.status}`, position: null } };
      }
    } catch (e) {
      out = { error: { message: `the server did not answer (${e.message}); is matdiff serve `
        + "still running?", position: null } };
    }
    if (seq !== state.seq) return; // a newer request is on its way
    document.body.classList.remove("busy");
    status.textContent = "";
    if (out.error) showError(out.error, body.expression);
    else showAnswer(out);
    if (answer.value.trim() && !body.verify && !out.error) {
      status.textContent = "To check your answer, tick exactly one variable.";
    }
  }

  // ---- errors ---------------------------------------------------------------------------

  const TOKEN = /^(?:[\p{L}_][\p{L}\p{N}_]*|\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|\.[*/^']|\S)/u;

  function showError(error, text) {
    $("error").hidden = false;
    $("output").hidden = true;
    // The table stays while the expression is the same (a declaration made there may be
    // what went wrong); it belongs to another expression otherwise.
    $("variables").hidden = text !== state.typesOf;
    $("error-message").textContent = error.message;
    input.setAttribute("aria-invalid", "true");
    const context = $("error-context");
    context.replaceChildren();
    const pos = error.position;
    context.hidden = !(Number.isInteger(pos) && pos >= 0);
    if (context.hidden) return;
    // Positions count code points; highlight the token that starts there.
    const chars = Array.from(text);
    const at = Math.min(pos, chars.length);
    const rest = chars.slice(at).join("");
    const m = TOKEN.exec(rest);
    const token = m ? m[0] : "";
    const mark = el("mark", { class: token ? "error-token" : "error-token end",
      title: token ? "here" : "the end of the expression" });
    mark.textContent = token || "\u00a0";
    context.append(chars.slice(0, at).join(""), mark, rest.slice(token.length));
    const start = chars.slice(0, at).join("").length; // UTF-16 offsets for the input box
    input.setSelectionRange(start, start + token.length);
  }

  // ---- answers --------------------------------------------------------------------------

  function showAnswer(out) {
    $("error").hidden = true;
    input.removeAttribute("aria-invalid");
    state.types = out.types || {};
    state.typesOf = out.expression;
    showVariables(out);
    const f = $("function");
    f.replaceChildren("f = ", el("code", { text: out.function.text }),
      el("span", { class: "shape", text: ` (${dims(out.function.shape)})` }));
    const results = $("results");
    results.replaceChildren(...warnings(out.warnings || []), ...out.results.map(showResult));
    for (const s of out.skipped || []) {
      results.append(el("p", { class: "skipped" }, "No derivative by ",
        el("code", { text: s.wrt }), `: ${s.reason}`));
    }
    const extras = $("extras");
    extras.replaceChildren();
    for (const [k, v] of Object.entries(out)) {
      if (!KNOWN_TOP_KEYS.has(k)) extras.append(generic(k, v));
    }
    $("output").hidden = false;
  }

  // What inference assumed against the naming conventions: above the results, each with
  // the declaration that changes it (the message names it).
  function warnings(list) {
    return list.map((w) => el("p", { class: "warning", role: "note" },
      el("strong", { text: "Warning: " }), w.message));
  }

  const KIND_LABELS = { gradient: "Gradient", hessian: "Hessian", jacobian: "Jacobian",
    derivative: "Derivative" };

  function showResult(r) {
    const card = el("article", { class: "result", "data-wrt": r.wrt, "data-kind": r.kind });
    card.append(el("h3", {}, `${KIND_LABELS[r.kind] || r.kind} by `, el("code", { text: r.wrt }),
      el("span", { class: "shape", text: ` (${dims(r.shape)})` })));
    card.append(typeset(r.latex, el("div", { class: "formula" })));
    card.append(plain(r.text, "text"));
    if (r.map !== undefined) {
      card.append(el("p", { class: "label", text: "as a linear map on the differential:" }));
      if (r.map_latex) card.append(typeset(r.map_latex, el("div", { class: "formula map" })));
      card.append(plain(r.map, "map-text"));
    }
    if (r.check) card.append(check(r.check));
    if (r.verify) card.append(verdict(r.verify));
    if (Array.isArray(r.steps)) card.append(steps(r.steps));
    for (const [k, v] of Object.entries(r)) {
      if (!KNOWN_RESULT_KEYS.has(k)) card.append(generic(k, v));
    }
    return card;
  }

  function plain(text, cls) {
    const button = el("button", { type: "button", class: "copy", text: "Copy",
      title: "copy the plain text" });
    button.addEventListener("click", () => copy(text, button));
    return el("div", { class: "plain" }, el("code", { class: cls, text }), button);
  }

  async function copy(text, button) {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      const area = el("textarea", { class: "offscreen" });
      area.value = text;
      document.body.append(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    button.textContent = "Copied";
    setTimeout(() => { button.textContent = "Copy"; }, 1500);
  }

  function check(c) {
    if (typeof c.max_rel_error !== "number") {  // no error could be measured: say why
      const unchecked = c.outcome === "unchecked";
      return el("p", { class: unchecked ? "check unchecked" : "check failed" },
        `numeric check: ${c.message}, `,
        el("strong", { text: unchecked ? "not checked" : "FAILED" }));
    }
    return el("p", { class: c.passed ? "check passed" : "check failed" },
      `numeric check: max relative error ${c.max_rel_error.toExponential(1)}, `,
      el("strong", { text: c.passed ? "passed" : "FAILED" }));
  }

  function verdict(v) {
    const box = el("div", { class: `verdict ${v.verdict}` },
      el("p", {}, el("strong", { text: "Your answer: " }), v.message));
    if (v.suggestion) box.append(el("p", {}, "Suggestion: ", el("code", { text: v.suggestion })));
    return box;
  }

  function steps(list) {
    const ol = el("ol", { class: "steps" });
    for (const s of list) {
      const li = el("li");
      if (s && typeof s === "object") {
        if (s.latex) li.append(typeset(s.latex, el("span"), false));
        else if (s.text) li.append(el("code", { text: s.text }));
        if (s.rule) li.append(el("span", { class: "rule", text: s.rule }));
      } else {
        li.append(el("code", { text: String(s) }));
      }
      ol.append(li);
    }
    return el("details", { class: "steps-box", open: "" }, el("summary", { text: "Steps" }), ol);
  }

  // Fields this page does not know yet (generated code, ...): shown as they come.
  function generic(key, value) {
    const box = el("div", { class: "extra", "data-key": key }, el("h4", { text: key }));
    box.append(genericValue(key, value));
    if (typeof value === "string" && value.includes("\n")) {
      const button = el("button", { type: "button", class: "copy", text: "Copy" });
      button.addEventListener("click", () => copy(value, button));
      box.append(button);
    }
    return box;
  }

  function genericValue(key, value) {
    if (Array.isArray(value)) {
      return el("ol", {}, ...value.map((v) => el("li", {}, genericValue(key, v))));
    }
    if (value && typeof value === "object") {
      if (typeof value.latex === "string") return typeset(value.latex, el("div"));
      const dl = el("dl");
      for (const [k, v] of Object.entries(value)) {
        dl.append(el("dt", { text: k }), el("dd", {}, genericValue(k, v)));
      }
      return dl;
    }
    const text = String(value);
    if (/latex/i.test(key)) return typeset(text, el("div"));
    if (text.includes("\n") || /code|source/i.test(key)) return el("pre", { text });
    return el("code", { text });
  }

  // ---- the variables table ----------------------------------------------------------------

  function showVariables(out) {
    const tbody = $("variables").querySelector("tbody");
    const inWhere = whereNames(out.expression);
    const by = new Set(out.results.map((r) => r.wrt));
    const rows = Object.entries(out.types).map(([name, type]) => {
      const { kind, sizes } = splitType(type);
      const override = state.overrides[name];
      const fixed = inWhere.has(name);
      const tick = el("input", { type: "checkbox", "aria-label": `differentiate by ${name}`,
        "data-name": name, class: "by" });
      tick.checked = by.has(name);
      tick.disabled = kind === "mask";
      tick.addEventListener("change", chooseVariables);
      const select = el("select", { "aria-label": `kind of ${name}`, "data-name": name,
        class: "kind", title: fixed ? "declared in the expression's where clause" : null });
      select.append(el("option", { value: "", text: fixed ? kind : `auto (${kind})` }));
      for (const k of KINDS) select.append(el("option", { value: k, text: k }));
      select.value = fixed || !override ? "" : override.kind;
      select.disabled = fixed;
      select.addEventListener("change", () => {
        if (select.value) state.overrides[name] = { kind: select.value, sizes: "" };
        else delete state.overrides[name];
        if (select.value === "mask" && state.chosen) state.chosen.delete(name);
        derive();
      });
      const sizeBox = el("input", { type: "text", class: "sizes", "data-name": name,
        "aria-label": `sizes of ${name}`, placeholder: sizes, size: 8, spellcheck: "false" });
      sizeBox.value = override ? override.sizes : "";
      sizeBox.disabled = fixed || kind === "scalar";
      sizeBox.addEventListener("change", () => {
        const o = state.overrides[name] || { kind, sizes: "" };
        o.sizes = sizeBox.value;
        if (!o.sizes.trim() && !state.overrides[name]) return;
        state.overrides[name] = o;
        derive();
      });
      const source = fixed ? "where clause" : (override ? "declared" : "inferred");
      return el("tr", { "data-name": name },
        el("td", {}, tick), el("th", { scope: "row" }, el("code", { text: name })),
        el("td", {}, select), el("td", {}, sizeBox),
        el("td", { class: "type" }, el("code", { text: type }),
          el("span", { class: "source", text: ` ${source}` })));
    });
    tbody.replaceChildren(...rows);
    $("variables").hidden = rows.length === 0;
  }

  function chooseVariables() {
    const boxes = [...document.querySelectorAll("#variables input.by:not(:disabled)")];
    const ticked = boxes.filter((b) => b.checked).map((b) => b.dataset.name);
    if (!ticked.length) {
      status.textContent = "Tick at least one variable to differentiate by.";
      return;
    }
    state.chosen = ticked.length === boxes.length ? null : new Set(ticked);
    derive();
  }

  // ---- examples and start-up ----------------------------------------------------------------

  async function loadExamples() {
    try {
      const res = await fetch("examples.json");
      state.examples = await res.json();
    } catch {
      state.examples = [];
    }
    state.examples.forEach((ex, i) => {
      examples.append(el("option", { value: String(i), text: `${ex.label}: ${ex.expression}` }));
    });
  }

  examples.addEventListener("change", () => {
    const ex = state.examples[Number(examples.value)];
    if (!examples.value || !ex) return;
    input.value = ex.expression;
    state.overrides = {};
    state.chosen = ex.wrt && ex.wrt.length ? new Set(ex.wrt) : null;
    document.querySelector(`input[name="order"][value="${ex.hessian ? "hessian" : "first"}"]`)
      .checked = true;
    answer.value = "";
    derive();
  });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    derive();
  });
  for (const r of document.querySelectorAll('input[name="order"]')) {
    r.addEventListener("change", () => { if (input.value.trim()) derive(); });
  }
  for (const box of [stepsBox, codeBox]) {
    box.addEventListener("change", () => { if (input.value.trim()) derive(); });
  }
  window.addEventListener("hashchange", loadAddress);

  if (!loadAddress()) input.focus();
  // data-ready: the page is wired up and its examples are listed (the browser tests wait for it)
  loadExamples().finally(() => { document.documentElement.dataset.ready = "1"; });
})();
