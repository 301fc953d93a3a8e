// homestack dashboard: sorting and filtering in the browser, times in the browser's own zone, and live
// updates by polling the page's own HTML fragment (rendered and escaped by the server, so nothing here
// builds markup).

const live = document.getElementById("live");
const connection = document.getElementById("connection");
const filter = document.getElementById("filter");
const pollMs = Math.max(500, Number(document.body.dataset.pollSeconds || "2") * 1000);
const params = new URLSearchParams(window.location.search);
const sortState = { key: params.get("sort") || "name", order: params.get("order") === "desc" ? "desc" : "asc" };

document.documentElement.classList.add("js");

// The server writes every time in UTC (and says so); here they become the browser's local time. Labels
// are built by hand, not with toLocaleString, so they read the same as the server's ("6 Dec 14:05:09").
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "local time";
const pad = (n) => String(n).padStart(2, "0");
const clockOf = (d) => `${pad(d.getHours())}:${pad(d.getMinutes())}`;
const dateOf = (d) => `${d.getDate()} ${MONTHS[d.getMonth()]}`;
const dayOf = (d) => `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;

function localText(d, format) {
  const time = `${clockOf(d)}:${pad(d.getSeconds())}`;
  return format === "time" ? time : `${dateOf(d)} ${time}`;
}

// The same rule as the server's ticks.time_labels, in local time: a clock, and the date under it where
// the axis crosses midnight and a day begins (or a clock time repeats); a day step at midnight: the date.
// The server puts ticks on whole steps of UTC; where the local zone is not a whole step off UTC (every
// zone for 6-hour or day steps), move them onto whole steps of local time: 00:00, 06:00, ... here.
function alignAxis(axis) {
  const step = Number(axis.dataset.step) * 1000;
  const [start, end] = [Date.parse(axis.dataset.start), Date.parse(axis.dataset.end)];
  const [x0, x1] = [Number(axis.dataset.x0), Number(axis.dataset.x1)];
  const offset = -new Date(start).getTimezoneOffset() * 60000;
  const first = Math.ceil((start + offset) / step) * step - offset;
  axis.querySelectorAll("text[data-ts]").forEach((label, i) => {
    const moment = first + i * step;
    const line = axis.querySelector(`line[data-tick="${i}"]`);
    const inside = moment <= end;
    label.style.display = line.style.display = inside ? "" : "none";
    if (!inside) return;
    const x = x0 + ((moment - start) / (end - start)) * (x1 - x0);
    label.dataset.ts = new Date(moment).toISOString();
    for (const node of [label, label.querySelector(".date")]) node.setAttribute("x", x.toFixed(1));
    line.setAttribute("x1", x.toFixed(1));
    line.setAttribute("x2", x.toFixed(1));
    label.setAttribute("text-anchor", x > x1 - 26 ? "end" : x < x0 + 4 ? "start" : "middle");
  });
}

function localizeAxis(axis) {
  alignAxis(axis);
  const labels = Array.from(axis.querySelectorAll("text[data-ts]")).filter((l) => l.style.display !== "none");
  const moments = labels.map((label) => new Date(label.dataset.ts));
  const clocks = moments.map(clockOf);
  const daySteps = Number(axis.dataset.step) >= 86400;
  const crosses = dayOf(new Date(axis.dataset.start)) !== dayOf(new Date(axis.dataset.end));
  moments.forEach((moment, i) => {
    const [clock, date] = [labels[i].querySelector(".clock"), labels[i].querySelector(".date")];
    if (daySteps && clocks[i] === "00:00") {
      [clock.textContent, date.textContent] = [dateOf(moment), ""];
      return;
    }
    const newDay = i === 0 || dayOf(moments[i - 1]) !== dayOf(moment);
    const repeated = clocks.filter((c) => c === clocks[i]).length > 1;
    clock.textContent = clocks[i];
    date.textContent = crosses && (newDay || repeated) ? dateOf(moment) : "";
  });
}

function localize(root) {
  for (const el of root.querySelectorAll("time[data-local]")) {
    el.textContent = localText(new Date(el.dateTime), el.dataset.local);
  }
  for (const el of root.querySelectorAll("time[data-local-title]")) {
    el.title = localText(new Date(el.dateTime), "datetime");
  }
  for (const el of root.querySelectorAll(".tz")) el.textContent = zone;
  for (const axis of root.querySelectorAll("g.x-axis")) localizeAxis(axis);
}

localize(document);
const tzNote = document.getElementById("tz-note");
if (tzNote) tzNote.textContent = `Times are in your time zone (${zone})`;

function sensorTable() {
  return document.getElementById("sensors");
}

function compare(a, b) {
  const numeric = a !== "" && b !== "" && !Number.isNaN(Number(a)) && !Number.isNaN(Number(b));
  if (numeric) return Number(a) - Number(b);
  return a < b ? -1 : a > b ? 1 : 0;
}

function applySort() {
  const table = sensorTable();
  if (!table) return;
  const headers = Array.from(table.tHead.rows[0].cells);
  const index = headers.findIndex((th) => th.dataset.key === sortState.key);
  if (index < 0) return;
  const direction = sortState.order === "desc" ? -1 : 1;
  const body = table.tBodies[0];
  const rows = Array.from(body.rows);
  rows.sort((x, y) => {
    const a = x.cells[index].dataset.sort ?? "";
    const b = y.cells[index].dataset.sort ?? "";
    // A sensor without the value sorts last whichever way the column is sorted.
    if (a === "" || b === "") return (a === "") - (b === "");
    return direction * compare(a, b) || compare(x.dataset.name, y.dataset.name);
  });
  body.append(...rows);
  headers.forEach((th, i) => {
    if (i === index) th.setAttribute("aria-sort", direction > 0 ? "ascending" : "descending");
    else th.removeAttribute("aria-sort");
  });
}

function applyFilter() {
  const table = sensorTable();
  if (!table || !filter) return;
  const needle = filter.value.trim().toLowerCase();
  const rows = Array.from(table.tBodies[0].rows);
  let shown = 0;
  for (const row of rows) {
    row.hidden = needle !== "" && !row.dataset.search.includes(needle);
    if (!row.hidden) shown += 1;
  }
  const count = document.getElementById("filter-count");
  if (count) count.textContent = needle ? `showing ${shown} of ${rows.length}` : "";
  const none = document.getElementById("no-match");
  if (none) none.hidden = shown > 0 || rows.length === 0;
}

function syncUrl() {
  const query = new URLSearchParams({ sort: sortState.key, order: sortState.order });
  const needle = filter ? filter.value.trim() : "";
  if (needle) query.set("q", needle);
  window.history.replaceState(null, "", `${window.location.pathname}?${query}`);
  for (const [name, value] of [["sort", sortState.key], ["order", sortState.order]]) {
    const input = document.querySelector(`form.filter input[name="${name}"]`);
    if (input) input.value = value;
  }
}

function liveUrl() {
  if (!filter) return live.dataset.liveUrl;
  // The overview's fragment follows the current sort and filter, so server and browser agree.
  return `/partials/overview${window.location.search}`;
}

// Where focus was, so a keyboard user keeps their place when the live content is replaced.
function focusSelector(element) {
  if (!element || !live.contains(element)) return null;
  if (element.id) return `#${CSS.escape(element.id)}`;
  if (element.matches("a.sort")) return `a.sort[data-key="${CSS.escape(element.dataset.key)}"]`;
  const href = element.getAttribute("href");
  if (href) return `a[href="${CSS.escape(href)}"]`;
  if (element.classList.contains("table-wrap")) return ".table-wrap";
  return null;
}

function swap(next) {
  const current = document.getElementById("live-content");
  const focused = focusSelector(document.activeElement);
  const openDetails = Array.from(current.querySelectorAll("details[open]"), (d) => d.id).filter(Boolean);
  const scroller = current.querySelector(".table-wrap");
  const scrollLeft = scroller ? scroller.scrollLeft : 0;
  localize(next);
  current.replaceWith(document.adoptNode(next));
  for (const id of openDetails) document.getElementById(id)?.setAttribute("open", "");
  const newScroller = next.querySelector(".table-wrap");
  if (newScroller) newScroller.scrollLeft = scrollLeft;
  applySort();
  applyFilter();
  if (focused) next.querySelector(focused)?.focus({ preventScroll: true });
}

function showConnection(message) {
  if (!connection) return;
  connection.hidden = !message;
  connection.textContent = message || "";
}

let timer = 0;

async function refresh() {
  window.clearTimeout(timer);
  if (document.hidden) return;
  try {
    const response = await fetch(liveUrl(), { headers: { Accept: "text/html" }, cache: "no-store" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const doc = new DOMParser().parseFromString(await response.text(), "text/html");
    const next = doc.getElementById("live-content");
    if (!next) throw new Error("the answer has no live content");
    swap(next);
    showConnection("");
  } catch {
    showConnection("Cannot reach the dashboard: retrying…");
  } finally {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, pollMs);
  }
}

if (live) {
  live.addEventListener("click", (event) => {
    const link = event.target.closest("a.sort");
    if (!link) return;
    event.preventDefault();
    const key = link.dataset.key;
    sortState.order = sortState.key === key && sortState.order === "asc" ? "desc" : "asc";
    sortState.key = key;
    syncUrl();
    applySort();
  });
  if (filter) {
    filter.addEventListener("input", () => {
      syncUrl();
      applyFilter();
      // Soon ask the server too: rows it left out under an earlier filter come back.
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, 300);
    });
    filter.form.addEventListener("submit", (event) => event.preventDefault());
  }
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) refresh();
  });
  applySort();
  applyFilter();
  timer = window.setTimeout(refresh, pollMs);
}
