// regio's what-if page: a small script over the public JSON API (docs/web.md). No framework, no CDN:
// Vega, Vega-Lite and vega-embed come bundled from /vega.js. Every text from the server is put in the page
// as text (textContent), never as HTML.
(() => {
"use strict";

const LANG = document.body.dataset.lang === "en" ? "en" : "nl";
const FOLLOW_WAIT = 0.5;  // seconds the server may hold a request for a running job (its progress is as fresh)
const WORDS = {
  nl: {
    subtitle: "wat-als-verkenner voor budgetten en voorzieningen", knobs: "Beleidsknoppen",
    lambda: "Prijs van een tekort λ (€ per persoonsvoorziening)", alpha: "Gelijkheid α", theta: "Ontschotting θ (0–1, leeg = tabel)",
    extra: "Extra budget (M€ per jaar)", eligible: "Extra geld alleen voor (leeg = iedereen)",
    hold: "Niemand erop achteruit (hold-harmless)", minservice: "Minimumvoorziening", mode: "Doel",
    timelimit: "Tijdslimiet (s)", norms: "Normen per voorziening", forced: "Locaties vastgezet",
    forcedhint: "Klik op een locatie op de kaart van een gemeente: open → dicht → vrij.",
    run: "Doorrekenen", runextra: "Extra budget (VNG-vraag)", runpareto: "Paretofront",
    runprogramme: "Meerjarenprogramma", years: "Jaren", cancel: "Annuleren",
    mine: "Mijn gemeente", search: "Zoek een gemeente", result: "Uitkomst", runs: "Eerdere runs",
    queued: "in de wachtrij", running: "bezig", building: "model opbouwen", solving: "oplossen", writing: "uitkomst wegschrijven",
    bestwithin: "beste plan tot nu toe hooguit", ofoptimum: "van het optimum",
    done: "klaar", failed: "mislukt", cancelled: "geannuleerd", of: "van", points: "punten",
    status: "Status", gap: "MIP-gap", W: "Brede welvaart W", Q: "Tekort Q", short: "Inwoners zonder basisvoorziening",
    check: "Controle", seconds: "Tijd", rebuilt: "model opnieuw opgebouwd", warm: "warm model hergebruikt",
    csv: "Tabellen (CSV, zip)", xlsx: "Excel", html: "Rapport (HTML)", download: "Downloaden:",
    service: "Voorziening", norm: "Norm", within: "Binnen de norm", nearest: "Dichtstbijzijnde locaties",
    domain: "Domein", here: "Hier (€/inw.)", national: "Landelijk (€/inw.)", indicator: "Indicator", year: "Jaar", value: "Waarde",
    population: "inwoners", province: "provincie", bw: "brede-welvaartsindex", spending: "Uitgaven per domein (basisjaar)",
    services: "Voorzieningen nu", indicators: "Brede welvaart (CBS)", open: "open", closed: "dicht", remove: "weghalen",
    when: "Wanneer", kind: "Soort", label: "Naam", delta: "Verschil met getoonde run", none: "Nog geen runs.",
    full: "De wachtrij is vol; probeer het zo opnieuw.", badinput: "Ongeldige invoer", persons: "personen",
    personservices: "persoonsvoorzieningen",
    meq: "M€-eq/jaar", meur: "M€/jaar", extraneeded: "Minste extra geld", losers: "Gemeenten die bij herverdeling verliezen",
    solve: "doorrekening", "extra-budget": "extra budget", pareto: "paretofront", programme: "programma", show: "tonen",
    opt_weighted: "gewogen (W − λ·Q)", opt_lexicographic: "eerst het tekort, dan W", opt_soft: "zacht (tekort beprijsd)",
    opt_hard: "hard (geen tekort)", opt_none: "geen", opt_region: "per gemeente", "opt_region-domain": "per gemeente en domein",
    opt_corridor: "bandbreedte", "opt_per-capita-cap": "max. € per inwoner",
    noplan: "Geen plan om te tonen", chooseSite: "Locatie", fixopen: "open houden", fixclosed: "sluiten", fixfree: "vrijlaten",
    existingsite: "bestaand", candidatesite: "kandidaat",
    notfound: "Geen gemeente met die naam.", minutes: "min", km: "km", statusquo: "ten opzichte van de huidige situatie",
  },
  en: {
    subtitle: "what-if explorer for budgets and facilities", knobs: "Policy knobs",
    lambda: "Price of a shortfall λ (€ per person-service)", alpha: "Equity α", theta: "De-earmarking θ (0–1, empty = table)",
    extra: "Extra budget (M€ per year)", eligible: "Extra money only for (empty = all)",
    hold: "Nobody worse off (hold-harmless)", minservice: "Minimum service", mode: "Objective",
    timelimit: "Time limit (s)", norms: "Norms per facility type", forced: "Sites fixed",
    forcedhint: "Click a site on a municipality's map: open → closed → free.",
    run: "Run", runextra: "Extra budget (VNG question)", runpareto: "Pareto front",
    runprogramme: "Multi-year programme", years: "Years", cancel: "Cancel",
    mine: "My municipality", search: "Find a municipality", result: "Result", runs: "Earlier runs",
    queued: "queued", running: "running", building: "building the model", solving: "solving", writing: "writing the result",
    bestwithin: "best plan so far at most", ofoptimum: "from the optimum",
    done: "done", failed: "failed", cancelled: "cancelled", of: "of", points: "points",
    status: "Status", gap: "MIP gap", W: "Broad welfare W", Q: "Shortfall Q", short: "People short of a basic service",
    check: "Check", seconds: "Time", rebuilt: "model rebuilt", warm: "warm model reused",
    csv: "Tables (CSV, zip)", xlsx: "Excel", html: "Report (HTML)", download: "Download:",
    service: "Facility", norm: "Norm", within: "Within the norm", nearest: "Nearest sites",
    domain: "Domain", here: "Here (€/inh.)", national: "National (€/inh.)", indicator: "Indicator", year: "Year", value: "Value",
    population: "inhabitants", province: "province", bw: "broad-welfare index", spending: "Spending per domain (base year)",
    services: "Facilities today", indicators: "Broad welfare (CBS)", open: "open", closed: "closed", remove: "remove",
    when: "When", kind: "Kind", label: "Name", delta: "Difference with the run shown", none: "No runs yet.",
    full: "The queue is full; try again shortly.", badinput: "Invalid input", persons: "persons",
    personservices: "person-services",
    meq: "M€-eq/yr", meur: "M€/yr", extraneeded: "Least extra money", losers: "Municipalities losing under redistribution",
    solve: "solve", "extra-budget": "extra budget", pareto: "Pareto front", programme: "programme", show: "show",
    opt_weighted: "weighted (W − λ·Q)", opt_lexicographic: "shortfall first, then W", opt_soft: "soft (shortfall priced)",
    opt_hard: "hard (no shortfall)", opt_none: "none", opt_region: "per municipality", "opt_region-domain": "per municipality and domain",
    opt_corridor: "corridor", "opt_per-capita-cap": "cap € per inhabitant",
    noplan: "No plan to show", chooseSite: "Site", fixopen: "keep open", fixclosed: "close", fixfree: "leave free",
    existingsite: "existing", candidatesite: "candidate",
    notfound: "No municipality of that name.", minutes: "min", km: "km", statusquo: "against the status quo",
  },
};
const t = (key) => WORDS[LANG][key] ?? key;
const LOCALE = LANG === "nl" ? "nl-NL" : "en-GB";
const VEGA_LOCALE = LANG === "nl"
  ? {decimal: ",", thousands: ".", grouping: [3], currency: ["€ ", ""]}
  : {decimal: ".", thousands: ",", grouping: [3], currency: ["€", ""]};
const num = (v, digits = 0) => (v === null || v === undefined || Number.isNaN(v)) ? "—"
  : Number(v).toLocaleString(LOCALE, {minimumFractionDigits: digits, maximumFractionDigits: digits});
const pct = (v, digits = 1) => (v === null || v === undefined) ? "—"
  : Number(v).toLocaleString(LOCALE, {style: "percent", minimumFractionDigits: digits, maximumFractionDigits: digits});

const state = {instance: null, defaults: null, boundaries: null, names: new Map(), forced: new Map(), job: null, shown: null, shownSummary: null};

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v; else if (k.startsWith("on")) node.addEventListener(k.slice(2), v); else node.setAttribute(k, v);
  }
  for (const c of children.flat()) node.append(c instanceof Node ? c : document.createTextNode(String(c ?? "")));
  return node;
}

async function api(path, options = {}) {
  const response = await fetch(path, options);
  const body = response.headers.get("content-type")?.includes("json") ? await response.json() : await response.text();
  if (!response.ok) throw Object.assign(new Error(describe(body)), {status: response.status, body});
  return body;
}

function describe(body) {
  const detail = body?.detail ?? body;
  if (Array.isArray(detail)) return detail.map((d) => (d.key ? `${d.key}: ` : "") + (d.message ?? d.msg ?? JSON.stringify(d))).join("\n");
  return typeof detail === "string" ? detail : JSON.stringify(detail);
}

// --- the knobs ---------------------------------------------------------------------------------------
function fillForm(inst) {
  const sc = inst.scenario;
  document.getElementById("shortfall_price").value = sc.shortfall_price;
  document.getElementById("equity_alpha").value = sc.equity_alpha;
  document.getElementById("deearmark_share").value = sc.deearmark_share ?? "";
  document.getElementById("extra_budget").value = sc.extra_budget;
  document.getElementById("hold_harmless").value = sc.hold_harmless;
  document.getElementById("min_service").value = sc.min_service;
  document.getElementById("mode").value = sc.mode;
  document.getElementById("time_limit").value = sc.solver.time_limit ?? "";
  const tags = document.getElementById("extra_eligible_tags");
  for (const tag of inst.tags) tags.append(el("option", {value: tag}, tag));
  const norms = document.getElementById("norms");
  for (const ft of inst.facility_types) {
    const id = `norm-${ft.id}`;
    norms.append(el("label", {for: id}, `${ft.name} (${ft.unit})`),
                 el("input", {id, type: "number", min: "0", step: "1", value: ft.norm, "data-ftype": ft.id, "data-default": ft.norm}));
  }
}

function scenarioFromForm() {
  const value = (id) => document.getElementById(id).value;
  const sc = {
    shortfall_price: Number(value("shortfall_price")), equity_alpha: Number(value("equity_alpha")),
    extra_budget: Number(value("extra_budget")), hold_harmless: value("hold_harmless"), min_service: value("min_service"),
    extra_eligible_tags: [...document.getElementById("extra_eligible_tags").selectedOptions].map((o) => o.value),
  };
  if (value("deearmark_share") !== "") sc.deearmark_share = Number(value("deearmark_share"));
  if (value("time_limit") !== "") sc.solver = {time_limit: Number(value("time_limit"))};
  const norms = {};
  for (const input of document.querySelectorAll("#norms input")) {
    if (input.value !== "" && Number(input.value) !== Number(input.dataset.default)) norms[input.dataset.ftype] = Number(input.value);
  }
  if (Object.keys(norms).length) sc.norms = norms;
  const open = [...state.forced].filter(([, s]) => s === "open").map(([id]) => id);
  const closed = [...state.forced].filter(([, s]) => s === "closed").map(([id]) => id);
  if (open.length) sc.force_open = open;
  if (closed.length) sc.force_closed = closed;
  return sc;
}

function toggleForced(site) {
  const next = {undefined: "open", open: "closed", closed: undefined}[state.forced.get(site.site_id)];
  if (next) state.forced.set(site.site_id, next); else state.forced.delete(site.site_id);
  state.forcedNames = Object.assign(state.forcedNames || {}, {[site.site_id]: site.name || site.site_id});
  drawForced();
}

function drawForced() {
  const list = document.getElementById("forced-list");
  list.replaceChildren(...[...state.forced].map(([id, s]) => el("li", {},
    `${state.forcedNames?.[id] ?? id}: ${t(s)}`,
    el("button", {type: "button", "aria-label": `${t("remove")} ${state.forcedNames?.[id] ?? id}`,
                  onclick: () => { state.forced.delete(id); drawForced(); }}, "×"))));
}

// --- jobs --------------------------------------------------------------------------------------------
async function submit(kind, extra = {}) {
  const errors = document.getElementById("errors");
  errors.textContent = "";
  const body = {scenario: scenarioFromForm(), ...extra};
  if (kind === "solve") body.mode = document.getElementById("mode").value;
  try {
    const {job} = await api(`/api/${kind}`, {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
    state.job = job;
    document.getElementById("cancel").disabled = false;
    follow(job);
  } catch (err) {
    errors.textContent = err.status === 429 ? t("full") : `${t("badinput")}:\n${err.message}`;
  }
}

async function follow(job) {
  const bar = document.getElementById("bar"), text = document.getElementById("progress-text");
  bar.hidden = false;
  for (;;) {
    let record;
    const asked = Date.now();
    // the server answers when the job ends or after FOLLOW_WAIT s, so its end is seen at once
    try { record = await api(`/api/jobs/${job}?wait=${FOLLOW_WAIT}`); } catch (err) { text.textContent = err.message; return; }
    const p = record.progress || {};
    let line = t(record.status);
    if (record.status === "running") {
      line = t(p.phase || "running");
      if (p.total) { bar.max = p.total; bar.value = p.done || 0; line += ` — ${p.done || 0} ${t("of")} ${p.total} ${t("points")}`; }
      else if (p.time_limit) { bar.max = p.time_limit; bar.value = p.seconds || 0; }
      else bar.removeAttribute("value");
      if (p.seconds !== undefined && p.phase === "solving") line += ` (${num(p.seconds, 0)} s${p.time_limit ? " / " + num(p.time_limit) + " s" : ""})`;
      if (p.gap !== undefined && p.gap !== null && p.phase === "solving") line += ` — ${t("bestwithin")} ${num(p.gap * 100, 2)} % ${t("ofoptimum")}`;
    }
    text.textContent = line;
    if (["done", "failed", "cancelled"].includes(record.status)) {
      bar.hidden = true;
      document.getElementById("cancel").disabled = true;
      if (record.status === "failed" || record.status === "cancelled") {
        document.getElementById("errors").textContent = `${t(record.status)}: ${record.error ?? ""}`;
      } else {
        await showResult(job, record);
      }
      state.job = null;
      loadRuns();
      return;
    }
    const early = FOLLOW_WAIT * 1000 - (Date.now() - asked);  // a server that did not wait: no busy loop
    if (early > 0) await new Promise((r) => setTimeout(r, early));
  }
}

async function cancelJob() {
  if (state.job) await api(`/api/jobs/${state.job}`, {method: "DELETE"}).catch(() => {});
}

// --- the result --------------------------------------------------------------------------------------
async function showResult(job, record) {
  record = record || await api(`/api/jobs/${job}`);
  state.shown = job;
  state.shownSummary = record.result;
  const r = record.result || {};
  const head = document.getElementById("headline");
  const cards = [];
  const card = (label, value, cls = "") => el("div", {class: `card ${cls}`}, label, el("b", {}, value));
  cards.push(card(t("status"), r.status ?? "—", r.status === "optimal" ? "good" : "bad"));
  cards.push(card(t("gap"), pct(r.mip_gap, 3)));
  if (record.kind === "extra-budget") cards.push(card(t("extraneeded"), `${num(r.extra_budget, 2)} ${t("meur")}`));
  if (r.welfare !== undefined) cards.push(card(t("W"), `${num(r.welfare, 2)} ${t("meq")}`));
  if (r.shortfall !== undefined) cards.push(card(t("Q"), `${num(r.shortfall)} ${t("personservices")}`));
  if (r.people_short !== undefined) cards.push(card(t("short"), `${num(r.people_short)} ${t("persons")}`));
  if (r.check !== undefined) cards.push(card(t("check"), r.check ?? "—", r.check === "passed" ? "good" : "bad"));
  cards.push(card(t("seconds"), `${num(record.seconds, 1)} s` + (r.rebuilt === false ? ` (${t("warm")})` : r.rebuilt ? ` (${t("rebuilt")})` : "")));
  head.replaceChildren(el("div", {class: "cards", id: "headline-cards"}, cards));
  document.getElementById("downloads").replaceChildren(el("p", {}, t("download"), " ",
    ...["csv", "xlsx", "html"].flatMap((f) => [el("a", {href: `/api/jobs/${job}/download/${f}`, id: `download-${f}`, download: ""}, t(f)), " "])));
  const holder = document.getElementById("sections");
  holder.replaceChildren();
  let view;
  try {
    view = await api(`/api/jobs/${job}/view?lang=${LANG}`);
  } catch (err) {  // no plan to show (infeasible, or stopped before a first plan): the cards say why
    document.getElementById("downloads").replaceChildren();
    holder.append(el("p", {class: "note"}, `${t("noplan")} (${r.status ?? record.status})`));
    if (r.explanation) holder.append(el("pre", {id: "explanation"}, r.explanation.join("\n")));
    return;
  }
  for (const s of view.sections) {
    const box = el("section", {class: "result-section", id: `section-${s.id}`}, el("h3", {}, s.heading), el("p", {class: "note"}, s.note));
    if (s.spec) { const chart = el("div", {class: "chart", id: s.id}); box.append(chart); embed(chart, s.spec); }
    if (s.table) box.append(table(s.table));
    holder.append(box);
  }
  document.getElementById("result").scrollIntoView({behavior: "instant", block: "start"});
  markCurrentRun();
}

function table({columns, rows}) {
  const head = el("tr", {}, columns.map((c) => el("th", {scope: "col"}, c.label)));
  const body = rows.map((row) => el("tr", {}, columns.map((c) => {
    const v = row[c.key];
    const numeric = typeof v === "number";
    return el("td", {class: numeric ? "num" : ""}, numeric ? num(v, Math.abs(v) < 10 && !Number.isInteger(v) ? 3 : Number.isInteger(v) ? 0 : 1) : (v ?? ""));
  })));
  return el("table", {class: "data"}, el("thead", {}, head), el("tbody", {}, body));
}

async function embed(node, spec, onClick) {
  if (!state.boundaries) state.boundaries = await api("/api/boundaries");
  spec.datasets = Object.assign(spec.datasets || {}, {region_boundaries: state.boundaries});
  try {
    const result = await vegaEmbed(node, spec, {renderer: "svg", actions: false, formatLocale: VEGA_LOCALE});
    if (onClick) result.view.addEventListener("click", (_event, item) => item?.datum?.site_id && onClick(item.datum));
    node.setAttribute("data-rendered", "true");
  } catch (err) {
    console.error(`${node.id}: ${err}`);
  }
}

// --- my municipality ---------------------------------------------------------------------------------
async function showMunicipality(name) {
  const id = state.names.get(name.trim().toLowerCase());
  const out = document.getElementById("mun-profile");
  if (!id) { if (name.trim()) out.replaceChildren(el("p", {}, t("notfound"))); return; }
  const p = await api(`/api/municipalities/${encodeURIComponent(id)}?lang=${LANG}`);
  const services = {columns: [{key: "name", label: t("service")}, {key: "norm", label: t("norm")}, {key: "within", label: t("within")},
                              {key: "nearest", label: t("nearest")}],
    rows: p.services.map((s) => ({name: s.name, norm: `${num(s.norm)} ${s.unit}`, within: pct(s.covered_share),
      nearest: s.nearest.map((n) => `${n.name} (${n.municipality}, ${num(n.minutes)} ${t("minutes")}, ${num(n.km, 1)} ${t("km")})`).join("; ")}))};
  const spending = {columns: [{key: "name", label: t("domain")}, {key: "per_inhabitant_eur", label: t("here")},
                              {key: "national_per_inhabitant_eur", label: t("national")}], rows: p.spending};
  const indicators = {columns: [{key: "label", label: t("indicator")}, {key: "year", label: t("year")}, {key: "value", label: t("value")}],
                      rows: p.indicators.map((i) => ({...i, year: String(i.year)}))};
  const map = el("div", {class: "chart", id: "mun-map"});
  out.replaceChildren(
    el("p", {}, `${p.name} — ${t("province")} ${p.province}, ${num(p.population)} ${t("population")}`
               + (p.bw_index !== null ? `, ${t("bw")} ${num(p.bw_index, 2)}` : "")),
    el("div", {class: "profile-grid"},
       el("div", {}, el("h3", {}, t("services")), table(services), el("h3", {}, t("spending")), table(spending),
          el("h3", {}, t("indicators")), table(indicators)),
       el("div", {}, map, el("p", {class: "note"}, t("forcedhint")), siteChooser(p.sites))));
  embed(map, p.map, toggleForced);
}

function siteChooser(sites) {
  // the keyboard's way to do what a click on the map does
  const select = el("select", {id: "site-choice"}, sites.map((x) => el("option", {value: x.site_id},
    `${x.name} — ${x.type} (${t(x.existing ? "existingsite" : "candidatesite")})`)));
  const set = (how) => () => {
    const site = sites.find((x) => x.site_id === select.value);
    if (!site) return;
    if (how) state.forced.set(site.site_id, how); else state.forced.delete(site.site_id);
    state.forcedNames = Object.assign(state.forcedNames || {}, {[site.site_id]: site.name});
    drawForced();
  };
  return el("div", {class: "site-chooser"}, el("label", {for: "site-choice"}, t("chooseSite")), " ", select, " ",
    el("button", {type: "button", onclick: set("open")}, t("fixopen")), " ",
    el("button", {type: "button", onclick: set("closed")}, t("fixclosed")), " ",
    el("button", {type: "button", onclick: set(undefined)}, t("fixfree")));
}

// --- earlier runs ------------------------------------------------------------------------------------
async function loadRuns() {
  const runs = await api("/api/jobs");
  state.runs = runs;
  const tableNode = document.getElementById("runs-table");
  if (!runs.length) { tableNode.replaceChildren(el("caption", {}, t("none"))); return; }
  const base = state.shownSummary;
  const head = el("tr", {}, [t("when"), t("kind"), t("status"), t("W"), t("Q"), t("short"), t("delta"), ""].map((h) => el("th", {scope: "col"}, h)));
  const rows = runs.map((r) => {
    const s = r.summary || {};
    const delta = base && s.welfare !== undefined && base.welfare !== undefined
      ? `W ${num(s.welfare - base.welfare, 2)}; Q ${num(s.shortfall - base.shortfall)}` : "";
    const show = r.status === "done" ? el("button", {type: "button", onclick: () => showResult(r.id)}, t("show")) : "";
    return el("tr", {"data-job": r.id}, el("td", {}, (r.created || "").replace("T", " ").replace("Z", " UTC")), el("td", {}, t(r.kind)),
      el("td", {}, r.status === "done" ? (s.status ?? "") : t(r.status)), el("td", {class: "num"}, num(s.welfare, 2)),
      el("td", {class: "num"}, num(s.shortfall)), el("td", {class: "num"}, num(s.people_short)), el("td", {}, delta), el("td", {}, show));
  });
  tableNode.replaceChildren(el("thead", {}, head), el("tbody", {}, rows));
  markCurrentRun();
}

function markCurrentRun() {
  for (const row of document.querySelectorAll("#runs-table tr[data-job]")) row.classList.toggle("current", row.dataset.job === state.shown);
}

// --- start -------------------------------------------------------------------------------------------
async function start() {
  for (const node of document.querySelectorAll("[data-t]")) node.textContent = t(node.dataset.t);
  for (const option of document.querySelectorAll("#mode option, #min_service option, #hold_harmless option")) {
    option.textContent = t(`opt_${option.value}`);  // the value stays the scenario's word
  }
  const [inst, municipalities] = await Promise.all([api("/api/instance"), api("/api/municipalities")]);
  state.instance = inst;
  fillForm(inst);
  const names = document.getElementById("mun-names");
  for (const m of municipalities) { state.names.set(m.name.toLowerCase(), m.id); names.append(el("option", {value: m.name})); }
  const search = document.getElementById("mun-search");
  const show = () => showMunicipality(search.value).catch((err) => { document.getElementById("errors").textContent = err.message; });
  search.addEventListener("change", show);
  search.addEventListener("keydown", (e) => { if (e.key === "Enter") show(); });
  document.getElementById("run-solve").addEventListener("click", () => submit("solve"));
  document.getElementById("run-extra").addEventListener("click", () => submit("extra-budget"));
  document.getElementById("run-pareto").addEventListener("click", () => submit("pareto", {points: 5}));
  document.getElementById("run-programme").addEventListener("click", () => submit("programme", {years: document.getElementById("years").value}));
  document.getElementById("cancel").addEventListener("click", cancelJob);
  await loadRuns();
  document.body.setAttribute("data-ready", "true");
}

start().catch((err) => { document.getElementById("errors").textContent = err.message; console.error(err.message); });
})();
