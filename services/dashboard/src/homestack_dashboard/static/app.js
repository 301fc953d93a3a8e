// homestack dashboard: sorting and filtering in the browser, and live updates by polling the
// page's own HTML fragment (rendered and escaped by the server, so nothing here builds markup).

const live = document.getElementById("live");
const connection = document.getElementById("connection");
const filter = document.getElementById("filter");
const pollMs = Math.max(500, Number(document.body.dataset.pollSeconds || "2") * 1000);
const params = new URLSearchParams(window.location.search);
const sortState = { key: params.get("sort") || "name", order: params.get("order") === "desc" ? "desc" : "asc" };

document.documentElement.classList.add("js");

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
