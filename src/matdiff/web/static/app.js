// The matdiff page: sends the expression and the choices to POST api/derive and shows the
// answer (the object `matdiff EXPR --json` prints). No build step; KaTeX renders the LaTeX
// as MathML. User text only ever enters the page as text nodes, never as HTML.
//
// Choices belong to an expression: the kinds declared and the variables ticked in the table
// are those of the expression the table shows (the names matdiff found in it, so `Xw` in
// LaTeX is X and w); another expression starts from inference, and the declarations are
// offered back. By default every variable is differentiated; unticking one shows the answer
// already there without deriving again, and one's own answer is checked by the variable
// picked next to it (the likeliest parameter, W before x, until one is picked).
"use strict";

(() => {
  const KINDS = ["scalar", "vector", "matrix", "symmetric matrix", "mask"];
  const KIND_WORDS = new Set(["scalar", "vector", "matrix", "symmetric", "mask"]);
  const NAME = /[\p{L}_][\p{L}\p{N}_]*/gu;
  const KNOWN_RESULT_KEYS = new Set(["wrt", "kind", "shape", "text", "latex", "map",
    "map_latex", "check", "steps", "verify", "definitions", "layout", "convention", "map_of"]);
  const KNOWN_TOP_KEYS = new Set(["expression", "function", "types", "results", "skipped",
    "warnings", "read_as", "notes", "definitions", "version"]);
  // Names a gradient is usually wanted for, most likely first (the default of "check by").
  const PARAMETERS = [/^[Ww]_?\d*$/, /^(?:theta|θ|beta|β)_?\d*$/u, /^[xX]_?\d*$/];

  const $ = (id) => document.getElementById(id);
  const form = $("form");
  const input = $("expression");
  const examples = $("examples");
  const stepsBox = $("steps");
  const codeBox = $("code");
  const answer = $("answer");
  const checkBy = $("check-by");
  const status = $("status");

  const state = {
    overrides: {}, // name -> {kind, sizes}: the declarations the user made in the table
    declaredFor: null, // the expression those declarations were made for (they stay with it)
    dropped: {}, // the previous expression's declarations, offered back, not carried over
    droppedFor: null, // the expression they are offered for
    chosen: null, // null: every variable; else a Set of the names to differentiate by
    chosenFor: null, // the expression they were chosen for
    checkBy: null, // the variable the user's own answer is compared with
    types: {}, // name -> "matrix(n, m)", from the last answer
    typesOf: null, // the expression those types belong to
    last: null, // {body, out}: the last answer without a verdict, to show a subset of it again
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

  // Two texts of the same expression (spaces aside).
  function same(a, b) {
    return a !== null && b !== null && a.replace(/\s+/g, "") === b.replace(/\s+/g, "");
  }

  // The variables of `text`: those matdiff found when it answered this very expression (in
  // LaTeX, `Xw` is X times w), else the names written in it.
  function variablesOf(text) {
    return same(text, state.typesOf) ? new Set(Object.keys(state.types)) : names(text);
  }

  // The differentiable variables of the last answer, in its order.
  function differentiable() {
    return Object.entries(state.types).filter(([, t]) => splitType(t).kind !== "mask")
      .map(([n]) => n);
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

  // Declarations made in the table belong to the expression they were made for: another
  // expression starts from inference again, and the page offers them back (offerDropped).
  function scopeDeclarations(text) {
    if (state.declaredFor !== null && !same(text, state.declaredFor)) {
      state.dropped = state.overrides;
      state.droppedFor = text;
      state.overrides = {};
      state.declaredFor = null;
    } else if (!same(text, state.droppedFor)) {
      state.dropped = {}; // offered for one expression only
    }
  }

  // The request for the expression and the choices made: every ticked variable (or all),
  // no answer to check (derive() adds it).
  function request() {
    const text = input.value;
    scopeDeclarations(text);
    // Only the names matdiff found are filtered (an address's declarations were written
    // for its expression; the names written in LaTeX are not its variables).
    const present = same(text, state.typesOf) ? variablesOf(text) : null;
    const inWhere = whereNames(text);
    const declarations = {};
    for (const [name, o] of Object.entries(state.overrides)) {
      if ((!present || present.has(name)) && !inWhere.has(name)) {
        declarations[name] = declaration(o);
      }
    }
    let wrt = [];
    if (state.chosen) {
      // chosen for this very expression (in the table, an address, an example): as chosen;
      // carried over from another: the names still written in it
      const found = same(text, state.typesOf) ? variablesOf(text)
        : (same(text, state.chosenFor) ? state.chosen : names(text));
      wrt = [...state.chosen].filter((n) => found.has(n));
      if (!wrt.length) state.chosen = null;
    }
    const body = { expression: text, wrt, hessian: order() === "hessian", declarations,
      check: true };
    if (stepsBox.checked) body.steps = true;
    if (codeBox.value) body.code = codeBox.value;
    return body;
  }

  // The variables to differentiate by, chosen for `text` (by default, the one in the box).
  function choose(set, text = input.value) {
    state.chosen = set;
    state.chosenFor = text;
  }

  // The variable the user's answer is compared with: the one picked under "by", else the one
  // variable ticked, else the one most likely wanted (a W, w, theta, beta or x; the first
  // one otherwise). Null while the expression's variables are not known yet.
  function answerVariable(text, wrt) {
    const known = same(text, state.typesOf) ? differentiable() : null;
    const picked = state.checkBy;
    if (picked && (known ? known.includes(picked) : names(text).has(picked))) return picked;
    if (wrt.length === 1) return wrt[0];
    if (!known || !known.length) return null;
    const among = wrt.length ? known.filter((n) => wrt.includes(n)) : known;
    for (const pattern of PARAMETERS) {
      const found = among.find((n) => pattern.test(n));
      if (found) return found;
    }
    return among[0] || known[0];
  }

  // Everything but the variables and the answer to check.
  function rest(body) {
    return JSON.stringify({ ...body, wrt: null, verify: null });
  }

  // Whether the last answer has the derivatives `body` asks for.
  function covers(last, body) {
    if (!last || rest(last.body) !== rest(body)) return false;
    if (!body.wrt.length) return !last.body.wrt.length;
    const has = new Set([...last.out.results, ...(last.out.skipped || [])].map((r) => r.wrt));
    return body.wrt.every((n) => has.has(n));
  }

  // The last answer for the ticked variables only.
  function subset(out, wrt) {
    if (!wrt.length) return out;
    const keep = (r) => wrt.includes(r.wrt);
    return { ...out, results: out.results.filter(keep),
      skipped: (out.skipped || []).filter(keep) };
  }

  // The answer with the verdict, among the other ticked variables' derivatives (the last
  // answer's): checking one's answer does not change what is shown.
  function withOthers(out, body, plainBody) {
    const by = body.wrt[0];
    if (body.code || !covers(state.last, plainBody)) return out;
    const shown = subset(state.last.out, plainBody.wrt);
    const results = [];
    let placed = false;
    for (const r of shown.results) {
      if (r.wrt !== by) results.push(r);
      else if (!placed) {
        results.push(...out.results);
        placed = true;
      }
    }
    if (!placed) results.unshift(...out.results);
    return { ...out, results, skipped: (shown.skipped || []).filter((s) => s.wrt !== by) };
  }

  function saveAddress(body, by, candidate) {
    const p = new URLSearchParams();
    p.set("expr", body.expression);
    for (const w of body.wrt) p.append("wrt", w);
    for (const [n, k] of Object.entries(body.declarations)) p.append("declare", `${n}: ${k}`);
    if (body.hessian) p.set("hessian", "1");
    if (body.steps) p.set("steps", "1");
    if (body.code) p.set("code", body.code);
    if (candidate) p.set("answer", candidate);
    if (candidate && by && !(body.wrt.length === 1 && body.wrt[0] === by)) p.set("by", by);
    history.replaceState(null, "", "#" + p.toString());
  }

  function loadAddress() {
    const raw = location.hash.length > 1 ? location.hash.slice(1) : location.search.slice(1);
    const p = new URLSearchParams(raw);
    if (!p.has("expr")) return false;
    input.value = p.get("expr");
    const wrt = p.getAll("wrt").filter(Boolean);
    choose(wrt.length ? new Set(wrt) : null);
    state.checkBy = p.get("by") || (p.get("answer") && wrt.length === 1 ? wrt[0] : null);
    state.overrides = {};
    state.declaredFor = input.value;
    state.dropped = {};
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

  // Derives what is chosen. With an answer to check: when the derivatives to show are there
  // already, only the answer's variable is asked for, with the answer; otherwise they are
  // derived first, and the answer checked next (checkNow).
  async function derive(checkNow = false) {
    const plainBody = request();
    const candidate = answer.value.trim();
    const by = candidate ? answerVariable(plainBody.expression, plainBody.wrt) : null;
    const body = by && (checkNow || covers(state.last, plainBody) || plainBody.code)
      ? { ...plainBody, wrt: [by], verify: candidate } : plainBody;
    const seq = ++state.seq;
    saveAddress(plainBody, by, candidate);
    status.textContent = body.verify ? "Checking your answer…" : "Deriving…";
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
    if (out.error) {
      const inAnswer = body.verify && /^in your answer/.test(out.error.message || "");
      showError(out.error, inAnswer ? candidate : body.expression, inAnswer ? answer : input,
        body.expression);
      return;
    }
    if (!body.verify) state.last = { body, out };
    showAnswer(body.verify ? withOthers(out, body, plainBody) : out);
    // An answer to check, and the expression's variables known only now: check it.
    if (candidate && !body.verify && answerVariable(body.expression, body.wrt)) derive(true);
  }

  // ---- errors ---------------------------------------------------------------------------

  const TOKEN = /^(?:[\p{L}_][\p{L}\p{N}_]*|\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|\.[*/^']|\S)/u;

  // The error, with the token at its position highlighted in `text`, the text of `box`
  // (the expression's, or the answer's).
  function showError(error, text, box = input, expression = text) {
    $("error").hidden = false;
    $("output").hidden = true;
    // The table stays while the expression is the same (a declaration made there may be
    // what went wrong); it belongs to another expression otherwise.
    $("variables").hidden = expression !== state.typesOf;
    $("error-message").textContent = error.message;
    box.setAttribute("aria-invalid", "true");
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
    box.setSelectionRange(start, start + token.length);
  }

  // ---- answers --------------------------------------------------------------------------

  function showAnswer(out) {
    $("error").hidden = true;
    input.removeAttribute("aria-invalid");
    answer.removeAttribute("aria-invalid");
    state.types = out.types || {};
    state.typesOf = out.expression;
    showVariables(out);
    showCheckBy();
    const reading = $("reading");
    reading.replaceChildren();
    if (typeof out.read_as === "string") {
      reading.append(el("p", { class: "read-as" }, "Read as ", el("code", { text: out.read_as }),
        el("span", { class: "hint", text: " (the same in matdiff's plain syntax)" })));
    }
    for (const note of Array.isArray(out.notes) ? out.notes : []) {
      reading.append(el("p", { class: "note" }, el("strong", { text: "Note: " }), String(note)));
    }
    const f = $("function");
    f.replaceChildren("f = ", el("code", { text: out.function.text }),
      el("span", { class: "shape", text: ` (${dims(out.function.shape)})` }));
    const results = $("results");
    results.replaceChildren(...warnings(out.warnings || []), ...out.results.map(showResult));
    const defs = definitionsOf(out);
    if (defs.length) results.append(where(defs));
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
    fitFormulas();
  }

  // What inference assumed against the naming conventions: above the results, each with
  // the declaration that changes it (the message names it).
  function warnings(list) {
    return list.map((w) => el("p", { class: "warning", role: "note" },
      el("strong", { text: "Warning: " }), w.message));
  }

  const KIND_LABELS = { gradient: "Gradient", hessian: "Hessian", jacobian: "Jacobian",
    derivative: "Derivative", map: "Derivative as a map" };

  function showResult(r) {
    const card = el("article", { class: "result", "data-wrt": r.wrt, "data-kind": r.kind });
    const how = [dims(r.shape), reads(r)].filter(Boolean).join(", ");
    const label = r.kind === "map" ? (r.map_of === "hessian" ? "Hessian as a map"
      : "Jacobian as a map") : KIND_LABELS[r.kind] || r.kind;
    card.append(el("h3", {}, `${label} by `, el("code", { text: r.wrt }),
      el("span", { class: "shape", text: ` (${how})` })));
    const defs = definitionsOf(r);
    card.append(formula(r.latex, "formula"));
    if (defs.length) card.append(where(defs));
    card.append(plain(r.text, "text", defs));
    if (r.map !== undefined) {
      card.append(el("p", { class: "label", text: "as a linear map on the differential:" }));
      if (r.map_latex) card.append(formula(r.map_latex, "formula map"));
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

  // A displayed formula; fit() makes it fit its box.
  function formula(latex, cls) {
    const box = el("div", { class: cls, tabindex: "0", role: "group",
      "aria-label": "formula (scrolls sideways when wide)" });
    box.dataset.latex = latex;
    return typeset(latex, box);
  }

  // A formula wider than its box, if it is a sum, is typeset again term by term, so that it
  // wraps between its terms; what is still too wide (one long term) scrolls inside the box.
  // Again when the window changes size: one formula when it fits.
  function fit(box) {
    const latex = box.dataset.latex;
    if (box.classList.contains("terms")) {
      box.classList.remove("terms");
      typeset(latex, box);
    }
    if (!window.katex || box.scrollWidth <= box.clientWidth + 1) return;
    const parts = terms(latex);
    if (parts.length < 2) return;
    box.replaceChildren();
    box.classList.add("terms");
    parts.forEach((t, i) => {
      const latexTerm = `\\displaystyle ${i ? "{} " : ""}${t}`; // {}: a binary + or -
      box.append(typeset(latexTerm, el("span", { class: "term" }), false));
    });
  }

  function fitFormulas() {
    for (const box of document.querySelectorAll("#results .formula")) fit(box);
  }

  let resizing = 0;
  window.addEventListener("resize", () => {
    cancelAnimationFrame(resizing);
    resizing = requestAnimationFrame(fitFormulas);
  });

  // The terms of a LaTeX sum, split at each + or - outside every bracket and brace (as
  // matdiff prints a binary + or -: with a space either side); each term after the first
  // keeps its sign.
  function terms(latex) {
    const parts = [];
    let depth = 0;
    let start = 0;
    for (let i = 0; i < latex.length; i++) {
      const c = latex[i];
      if (c === "\\") {
        const m = /^\\(?:[A-Za-z]+|.)/.exec(latex.slice(i));
        const cmd = m ? m[0] : "\\";
        if (cmd === "\\left" || cmd === "\\right") {
          depth += cmd === "\\left" ? 1 : -1;
          const d = /^\s*(?:\\[A-Za-z]+|\\.|.)/.exec(latex.slice(i + cmd.length)); // the delimiter
          i += cmd.length + (d ? d[0].length : 0) - 1;
        } else {
          i += cmd.length - 1;
        }
      } else if ("{([".includes(c)) {
        depth++;
      } else if ("})]".includes(c)) {
        depth--;
      } else if (depth === 0 && i > start && (c === "+" || c === "-")
                 && latex[i - 1] === " " && latex[i + 1] === " ") {
        parts.push(latex.slice(start, i).trim());
        start = i;
      }
    }
    parts.push(latex.slice(start).trim());
    return parts.filter((t) => t.length);
  }

  // Named subexpressions of an answer ({name, text, latex}): "where h1 = ...", one a line.
  function where(defs) {
    const list = el("ul", { class: "where" });
    for (const d of defs) {
      const name = String(d.name ?? "");
      list.append(el("li", { "data-name": name }, typeof d.latex === "string"
        ? typeset(`${latexName(name)} = ${d.latex}`, el("span"), false)
        : el("code", { text: `${name} = ${d.text ?? ""}` })));
    }
    return el("div", { class: "where-box" }, el("p", { class: "label", text: "where" }), list);
  }

  // The definitions of an answer or of a result, if it has any.
  function definitionsOf(x) {
    return (Array.isArray(x.definitions) ? x.definitions : [])
      .filter((d) => d && typeof d === "object" && typeof d.name === "string");
  }

  // A name as matdiff typesets it (printing.latex_name): h1 -> h_{1}, lr -> \\mathit{lr},
  // lambda -> \\lambda; only letters, digits and underscores reach KaTeX.
  const GREEK = new Set(["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta",
    "iota", "kappa", "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi",
    "chi", "psi", "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Phi",
    "Psi", "Omega"]);

  function latexName(name) {
    const clean = name.replace(/[^\p{L}\p{N}_]/gu, "");
    const i = clean.indexOf("_");
    let base = i < 0 ? clean : clean.slice(0, i);
    let sub = i < 0 ? "" : clean.slice(i + 1);
    const m = /^(\p{L}+?)(\d+)$/u.exec(base);
    if (!sub && m) [base, sub] = [m[1], m[2]];
    const head = GREEK.has(base) ? `\\${base}`
      : (Array.from(base).length === 1 ? base : `\\mathit{${base}}`);
    return sub ? `${head}_{${latexName(sub)}}` : head;
  }

  // The plain text and its Copy button; with definitions, the copy carries them as a where
  // clause, and they are listed under the text.
  function plain(text, cls, defs = []) {
    const full = defs.length
      ? `${text} where ${defs.map((d) => `${d.name} = ${d.text ?? ""}`).join(", ")}` : text;
    const button = el("button", { type: "button", class: "copy", text: "Copy",
      title: "copy the plain text" });
    button.addEventListener("click", () => copy(full, button));
    const box = el("div", { class: "plain" }, el("code", { class: cls, text }), button);
    if (defs.length) {
      box.append(el("ul", { class: "where-text" },
        ...defs.map((d) => el("li", {}, el("code", { text: `${d.name} = ${d.text ?? ""}` })))));
    }
    return box;
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

  // How a result is laid out (a Jacobian) or which convention it follows (a gradient by a
  // symmetric matrix), when the answer says.
  const READS = { numerator: "numerator layout", denominator: "denominator layout, the transpose",
    matdiff: "symmetric: (G + G')/2", cookbook: "Matrix Cookbook convention: G + G' - G.*eye" };

  function reads(r) {
    const said = [r.layout, r.convention].filter((x) => typeof x === "string");
    return said.map((x) => READS[x] || x).join(", ");
  }

  function verdict(v) {
    const conditional = Array.isArray(v.correct_if) && v.correct_if.length > 0;
    const box = el("div", { class: `verdict ${v.verdict}${conditional ? " conditional" : ""}` },
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
    const box = el("div", { class: "extra", "data-key": key },
      el("h4", { text: key.replace(/_/g, " ") }));
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
        state.declaredFor = state.typesOf;
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
        state.declaredFor = state.typesOf;
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
    offerDropped(out, inWhere);
  }

  // The previous expression's declarations are not carried over to this one: say so, with a
  // button that declares them here too (those naming a variable of this expression).
  function offerDropped(out, inWhere) {
    const box = $("dropped");
    const offered = Object.entries(state.dropped)
      .filter(([n]) => n in out.types && !inWhere.has(n) && !(n in state.overrides));
    box.replaceChildren();
    box.hidden = offered.length === 0;
    if (box.hidden) return;
    const text = offered.map(([n, o]) => `${n}: ${declaration(o)}`).join(", ");
    const button = el("button", { type: "button", class: "copy", text: "Declare here too" });
    button.addEventListener("click", () => {
      for (const [n, o] of offered) state.overrides[n] = o;
      state.declaredFor = input.value;
      state.dropped = {};
      derive();
    });
    box.append("Declared for the previous expression, not for this one: ",
      el("code", { text }), " ", button);
  }

  function chooseVariables() {
    const boxes = [...document.querySelectorAll("#variables input.by:not(:disabled)")];
    const ticked = boxes.filter((b) => b.checked).map((b) => b.dataset.name);
    if (!ticked.length) {
      status.textContent = "Tick at least one variable to differentiate by.";
      return;
    }
    // the table is the last answer's: its ticks and kinds are for that expression
    choose(ticked.length === boxes.length ? null : new Set(ticked), state.typesOf);
    if (answer.value.trim() || !showAgain()) derive();
  }

  // Ticks choose among the derivatives already there without deriving again: the last
  // answer is shown for the ticked variables when it has them all (generated code covers
  // every variable: that is derived again).
  function showAgain() {
    const body = request();
    if (body.code || !covers(state.last, body)) return false;
    state.seq++; // an answer on its way is no longer wanted
    document.body.classList.remove("busy");
    status.textContent = "";
    saveAddress(body);
    showAnswer(subset(state.last.out, body.wrt));
    return true;
  }

  // "Check by": the variables the answer can be compared with, the one it will be selected.
  function showCheckBy() {
    const vars = differentiable();
    const wrt = state.chosen ? [...state.chosen].filter((n) => vars.includes(n)) : [];
    const by = answerVariable(state.typesOf, wrt);
    checkBy.replaceChildren(...vars.map((n) => el("option", { value: n, text: n })));
    if (!vars.length) checkBy.append(el("option", { value: "", text: "(derive first)" }));
    checkBy.value = by || "";
  }

  checkBy.addEventListener("change", () => {
    state.checkBy = checkBy.value || null;
    if (answer.value.trim()) derive();
  });

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
    state.declaredFor = null;
    state.dropped = {};
    state.checkBy = null;
    choose(ex.wrt && ex.wrt.length ? new Set(ex.wrt) : null);
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
