/* threadsearch search page: plain JavaScript over the documented HTTP API.
 *
 * The page's state is its query string, in GET /search's own parameter names, so a URL
 * is a search (shareable; back and forward replay it). /thread/<id>?entry=<id> shows a
 * thread. Text from the index is set with textContent only; the API's highlight HTML is
 * parsed inert and rebuilt keeping nothing but text and <mark>.
 */
"use strict";

const FILTERS = ["site", "kind", "author", "lang", "thread", "tag"];
const SIDEBAR = ["site", "kind", "author", "lang", "thread"];
const FACET_NAMES = { site: "Site", kind: "Kind", author: "Author", lang: "Language", thread: "Thread" };
const CALENDAR = ["year", "month", "day"];
const SHOWN_VALUES = 8;
const threadInfo = new Map(); // thread id -> Promise of {title, entries, posts}
let searches = 0; // the number of the latest search: an older answer is dropped

const $ = (id) => document.getElementById(id);

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (key === "text") node.textContent = value;
    else if (key === "className") node.className = value;
    else if (key.startsWith("data-") || key.startsWith("aria-") || key === "role") node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) if (child != null) node.append(child);
  return node;
}

/* --- the API ------------------------------------------------------------------- */

async function api(path) {
  const response = await fetch(path, { headers: { Accept: "application/json" } });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const detail = body && (body.detail || body.title);
    throw new Error(detail || `${response.status} ${response.statusText}`);
  }
  return body;
}

/* Rebuild the API's snippet HTML: its text, and its <mark> elements, nothing else. */
function highlighted(html) {
  const parsed = new DOMParser().parseFromString(`<body>${html}</body>`, "text/html");
  const out = document.createDocumentFragment();
  const copy = (from, to) => {
    for (const node of from.childNodes) {
      if (node.nodeType === Node.TEXT_NODE) to.append(node.data);
      else if (node.nodeName === "MARK") { const mark = el("mark"); copy(node, mark); to.append(mark); }
      else if (node.nodeType === Node.ELEMENT_NODE) copy(node, to);
    }
  };
  copy(parsed.body, out);
  return out;
}

function timeElement(iso) {
  if (!iso) return el("span", { className: "muted", text: "no date" });
  const when = new Date(iso);
  const local = when.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  const utc = when.toISOString().replace("T", " ").replace(/:\d\d\.\d{3}Z$/, " UTC");
  return el("time", { dateTime: iso, title: utc, text: local });
}

/* A thread's title and entry counts, from one small search; cached per thread. */
function thread(id) {
  if (!threadInfo.has(id)) {
    const params = new URLSearchParams({ thread: id, per_page: "1", facet: "kind" });
    threadInfo.set(id, api(`/search?${params}`).then((result) => {
      const posts = result.facets.kind.values.find((v) => v.value === "post");
      return {
        title: result.hits.length ? result.hits[0].thread_title : id,
        entries: result.total,
        posts: posts ? posts.count : 0,
      };
    }));
  }
  return threadInfo.get(id);
}

function positionText(kind, position, info) {
  if (kind === "post") return "post";
  return `${kind} ${position} of ${info.entries - info.posts}`;
}

function threadHref(threadId, entryId) {
  const params = entryId ? `?${new URLSearchParams({ entry: entryId })}` : "";
  return `/thread/${encodeURIComponent(threadId)}${params}`;
}

/* --- search: state <-> URL ------------------------------------------------------ */

function state() {
  return new URLSearchParams(location.search);
}

function go(params, replace) {
  if (params.get("page") === "1") params.delete("page");
  const text = params.toString();
  const url = text ? `/?${text}` : "/";
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  runSearch();
}

function change(mutate) {
  const params = state();
  mutate(params);
  params.delete("page");
  go(params);
}

/* The granularity of the date histogram: the URL's, else whichever fits the hits. */
function calendar(params, facets) {
  const asked = params.getAll("facet").find((f) => CALENDAR.includes(f));
  if (asked) return asked;
  const dated = (name) => facets[name].values.filter((v) => v.value !== null);
  const days = dated("day");
  if (days.length < 2) return "day";
  const span = (new Date(days[days.length - 1].value) - new Date(days[0].value)) / 864e5;
  if (span <= 62) return "day";
  const months = dated("month");
  const first = months[0].value.split("-").map(Number);
  const last = months[months.length - 1].value.split("-").map(Number);
  return (last[0] - first[0]) * 12 + last[1] - first[1] <= 48 ? "month" : "year";
}

function bucketRange(value) {
  if (value.length === 10) return [value, value];
  if (value.length === 7) {
    const [year, month] = value.split("-").map(Number);
    const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
    return [`${value}-01`, `${value}-${String(lastDay).padStart(2, "0")}`];
  }
  return [`${value}-01-01`, `${value}-12-31`];
}

async function runSearch() {
  const params = state();
  const mine = ++searches;
  $("search-view").hidden = false;
  $("thread-view").hidden = true;
  $("q").value = params.get("q") || "";
  $("sort").value = params.get("sort") || "relevance";
  $("collapse").checked = params.get("collapse") === "thread";
  document.title = params.get("q") ? `${params.get("q")} - threadsearch` : "threadsearch";
  const request = new URLSearchParams(params);
  request.delete("facet");
  for (const name of [...SIDEBAR, ...CALENDAR]) request.append("facet", name);
  $("status").textContent = "Searching…";
  let result;
  try {
    result = await api(`/search?${request}`);
  } catch (error) {
    if (mine === searches) showError(error.message);
    return;
  }
  if (mine !== searches) return;
  $("error").hidden = true;
  renderStatus(params, result);
  renderSuggestion(params, result);
  renderChips(params);
  renderHistogram(params, result.facets, calendar(params, result.facets));
  renderFacets(params, result.facets);
  renderHits(result);
  renderPager(result);
  setMore(request, result);
  document.body.dataset.rendered = location.search; // for tests: which search is on screen
  if (!document.body.dataset.firstResultsMs) {
    document.body.dataset.firstResultsMs = performance.now().toFixed(0);
  }
}

function showError(message) {
  document.body.dataset.rendered = location.search;
  $("error").textContent = `The search failed: ${message}`;
  $("error").hidden = false;
  $("status").textContent = "";
  $("hits").replaceChildren();
  $("pager").hidden = true;
  moreRequest = null;
  $("more").hidden = true;
}

function renderStatus(params, result) {
  const total = result.total;
  const first = (result.page - 1) * result.per_page + 1;
  const last = Math.min(total, result.page * result.per_page);
  const span = total ? `, ${first}–${last} shown` : "";
  const noun = total === 1 ? "hit" : "hits";
  $("status").replaceChildren(el("span", { id: "total", text: total.toLocaleString("en") }), ` ${noun}${span} (${result.took_ms} ms)`);
  const warnings = $("warnings");
  warnings.replaceChildren(...result.warnings.map((w) => el("li", { text: w })));
  warnings.hidden = !result.warnings.length;
}

function renderSuggestion(params, result) {
  const box = $("suggestion");
  box.hidden = !result.suggestion;
  if (!result.suggestion) return;
  const next = new URLSearchParams(params);
  next.set("q", result.suggestion);
  next.delete("page");
  const link = el("a", { href: `/?${next}`, id: "suggestion-link", text: result.suggestion });
  link.addEventListener("click", (event) => { event.preventDefault(); go(next); });
  box.replaceChildren("Did you mean ", link, "?");
}

function chipLabel(name, value) {
  if (name === "collapse") return "one per thread";
  return `${name}: ${value}`;
}

function renderChips(params) {
  const chips = [];
  for (const [name, value] of params) {
    if (![...FILTERS, "since", "until"].includes(name)) continue;
    const chip = el("button", { type: "button", className: "chip", "aria-label": `Remove filter ${name} ${value}` });
    chip.append(el("span", { text: chipLabel(name, value) }), el("span", { "aria-hidden": "true", text: " ×" }));
    if (name === "thread") thread(value).then((info) => { chip.firstChild.textContent = `thread: ${info.title}`; });
    chip.addEventListener("click", () => change((p) => {
      const kept = p.getAll(name).filter((v) => v !== value);
      p.delete(name);
      for (const v of kept) p.append(name, v);
    }));
    chips.push(chip);
  }
  $("chips").replaceChildren(...chips);
}

/* --- histogram --------------------------------------------------------------------- */

/* The next bucket after ``value`` (a year, month or day, as the calendar facets write them). */
function nextBucket(value) {
  if (value.length === 4) return String(Number(value) + 1);
  const date = new Date(`${value.length === 7 ? `${value}-01` : value}T00:00:00Z`);
  if (value.length === 7) date.setUTCMonth(date.getUTCMonth() + 1);
  else date.setUTCDate(date.getUTCDate() + 1);
  return date.toISOString().slice(0, value.length);
}

/* The facet's dated buckets with the empty ones between them, so bars are to scale in time. */
function timeline(values) {
  const dated = values.filter((v) => v.value !== null);
  const counts = new Map(dated.map((v) => [v.value, v.count]));
  const buckets = [];
  for (let value = dated.length ? dated[0].value : null; value && buckets.length < 400; value = nextBucket(value)) {
    buckets.push({ value, count: counts.get(value) || 0 });
    if (value === dated[dated.length - 1].value) break;
  }
  return buckets;
}

function renderHistogram(params, facets, unit) {
  const buckets = timeline(facets[unit].values);
  const box = $("histogram-box");
  box.hidden = !buckets.length;
  if (!buckets.length) return;
  const most = Math.max(...buckets.map((b) => b.count));
  const since = params.get("since");
  const until = params.get("until");
  const bars = buckets.map((bucket, i) => {
    const [start, end] = bucketRange(bucket.value);
    const inRange = (since || until) && (!since || end >= since.slice(0, 10)) && (!until || start <= until.slice(0, 10));
    const bar = el("button", {
      type: "button",
      className: inRange ? "bar selected" : "bar",
      title: `${bucket.value}: ${bucket.count}`,
      "aria-label": `${bucket.value}: ${bucket.count} ${bucket.count === 1 ? "hit" : "hits"}`,
      "data-value": bucket.value,
      "data-count": String(bucket.count),
      "data-index": String(i),
    });
    bar.append(el("span", { className: "fill" }));
    bar.firstChild.style.height = bucket.count ? `${Math.max(4, Math.round((bucket.count / most) * 100))}%` : "0";
    return bar;
  });
  const histogram = $("histogram");
  histogram.replaceChildren(...bars);
  $("histogram-title").textContent = `When (by ${unit})`;
  $("histogram-first").textContent = buckets[0].value;
  $("histogram-last").textContent = buckets.length > 1 ? buckets[buckets.length - 1].value : "";
}

function narrowTo(fromValue, toValue) {
  const [a] = bucketRange(fromValue < toValue ? fromValue : toValue);
  const [, b] = bucketRange(fromValue < toValue ? toValue : fromValue);
  change((p) => { p.set("since", a); p.set("until", b); });
}

function setUpHistogram() {
  const histogram = $("histogram");
  let dragStart = null;
  const barOf = (event) => event.target.closest(".bar");
  histogram.addEventListener("pointerdown", (event) => {
    const bar = barOf(event);
    if (!bar || event.button !== 0) return;
    dragStart = bar;
    histogram.releasePointerCapture?.(event.pointerId);
    event.preventDefault();
  });
  histogram.addEventListener("pointerover", (event) => {
    const bar = barOf(event);
    if (!dragStart || !bar) return;
    const [lo, hi] = [dragStart, bar].map((b) => Number(b.dataset.index)).sort((x, y) => x - y);
    for (const b of histogram.children) b.classList.toggle("dragging", Number(b.dataset.index) >= lo && Number(b.dataset.index) <= hi);
  });
  document.addEventListener("pointerup", (event) => {
    if (!dragStart) return;
    const start = dragStart;
    dragStart = null;
    const bar = barOf(event);
    if (bar && histogram.contains(bar)) narrowTo(start.dataset.value, bar.dataset.value);
    else for (const b of histogram.children) b.classList.remove("dragging");
  });
  // Keyboard: Enter or Space on a bar (a pointer click is handled on pointerup).
  histogram.addEventListener("click", (event) => {
    const bar = barOf(event);
    if (bar && event.detail === 0) narrowTo(bar.dataset.value, bar.dataset.value);
  });
}

/* --- facets ------------------------------------------------------------------------ */

function renderFacets(params, facets) {
  const groups = SIDEBAR.map((name) => {
    const facet = facets[name];
    const values = facet.values;
    const fieldset = el("fieldset", { className: "facet", id: `facet-${name}` });
    fieldset.append(el("legend", { text: FACET_NAMES[name] }));
    const list = el("ul");
    values.forEach((v, i) => {
      const id = `f-${name}-${i}`;
      const box = el("input", { type: "checkbox", id, checked: v.selected, disabled: v.value === null });
      box.dataset.facet = name;
      box.dataset.value = v.value === null ? "" : String(v.value);
      box.addEventListener("change", () => change((p) => {
        const value = String(v.value);
        if (box.checked) p.append(name, value);
        else {
          const kept = p.getAll(name).filter((x) => x !== value);
          p.delete(name);
          for (const x of kept) p.append(name, x);
        }
      }));
      const text = el("span", { className: "value", text: v.value === null ? "(none)" : String(v.value) });
      if (name === "thread") thread(v.value).then((info) => { text.textContent = info.title; });
      const label = el("label", { htmlFor: id }, text, " ", el("span", { className: "count", text: v.count.toLocaleString("en") }));
      const item = el("li", { className: i >= SHOWN_VALUES && !v.selected ? "extra" : "" }, box, label);
      item.hidden = i >= SHOWN_VALUES && !v.selected;
      list.append(item);
    });
    fieldset.append(list);
    if (!values.length) fieldset.append(el("p", { className: "muted", text: "none" }));
    const extra = list.querySelectorAll("li[hidden]").length;
    if (extra) {
      const more = el("button", { type: "button", className: "more", text: `Show ${extra} more` });
      more.addEventListener("click", () => {
        for (const item of list.querySelectorAll("li.extra")) item.hidden = false;
        more.remove();
      });
      fieldset.append(more);
    }
    if (facet.truncated) fieldset.append(el("p", { className: "muted", text: "Only the most frequent values are listed." }));
    return fieldset;
  });
  $("facets").replaceChildren(...groups);
}

/* --- hits -------------------------------------------------------------------------- */

/* "Show more": the hits after the last one shown, on the API's cursor (stable while the
 * index changes), appended below; the page number in the URL stays as it was. */
let moreRequest = null;

async function showMore() {
  if (!moreRequest) return;
  const request = moreRequest;
  const result = await api(`/search?${request}`);
  if (request !== moreRequest) return; // a new search started meanwhile
  $("hits").append(...hitItems(result));
  const first = (Number(state().get("page") || "1") - 1) * result.per_page + 1;
  const last = first + $("hits").children.length - 1;
  $("status").lastChild.textContent = ` hits, ${first}–${last} shown (${result.took_ms} ms)`;
  setMore(request, result);
}

function setMore(request, result) {
  moreRequest = null;
  if (result.next_cursor) {
    moreRequest = new URLSearchParams(request);
    moreRequest.delete("facet");
    moreRequest.delete("page");
    moreRequest.set("cursor", result.next_cursor);
  }
  $("more").hidden = !moreRequest;
}

function renderHits(result) {
  $("hits").replaceChildren(...hitItems(result));
}

function hitItems(result) {
  return result.hits.map((hit) => {
    const link = el("a", { href: threadHref(hit.thread_id, hit.id), text: hit.thread_title || hit.thread_id });
    const where = el("span", { className: "position", text: hit.kind });
    thread(hit.thread_id).then((info) => { where.textContent = positionText(hit.kind, hit.position, info); });
    const meta = el("p", { className: "meta" },
      where, " · ", el("span", { className: "author", text: hit.author || "anonymous" }), " · ", timeElement(hit.timestamp),
      hit.lang ? el("span", { text: ` · ${hit.lang}` }) : null);
    const item = el("li", { className: "hit" }, el("h3", {}, link), meta);
    const parts = hit.highlights || {};
    if (parts.title) item.append(el("p", { className: "snippet title-snippet" }, highlighted(parts.title)));
    item.append(el("p", { className: "snippet" }, highlighted(parts.body || hit.snippet || "")));
    if (parts.quoted) item.append(el("blockquote", { className: "snippet" }, highlighted(parts.quoted)));
    if (hit.collapsed) {
      const more = el("a", { href: "#", text: `${hit.collapsed} more in this thread` });
      more.addEventListener("click", (event) => {
        event.preventDefault();
        change((p) => { p.delete("collapse"); p.delete("thread"); p.append("thread", hit.thread_id); });
      });
      item.append(el("p", { className: "collapsed" }, more));
    }
    return item;
  });
}

function renderPager(result) {
  const pages = Math.max(1, Math.ceil(result.total / result.per_page));
  $("pager").hidden = pages <= 1;
  $("page-info").textContent = `page ${result.page} of ${pages}`;
  $("prev").disabled = result.page <= 1;
  $("next").disabled = result.page >= pages;
}

function turnPage(step) {
  const params = state();
  params.set("page", String(Number(params.get("page") || "1") + step));
  go(params);
  $("main").focus();
}

/* --- thread page ------------------------------------------------------------------- */

function quoteSource(entries, entry) {
  const words = entry.quoted.replace(/^[\s“”"'‘’…]+|[\s“”"'‘’…]+$/g, "").slice(0, 60);
  if (words.length < 8) return null;
  return entries.find((e) => e.position < entry.position && e.body.includes(words)) || null;
}

function entryLabel(entry, total, posts) {
  return entry.kind === "post" ? "post" : `${entry.kind} ${entry.position} of ${total - posts}`;
}

async function runThread(threadId) {
  $("search-view").hidden = true;
  $("thread-view").hidden = false;
  const target = new URLSearchParams(location.search).get("entry");
  let data;
  try {
    data = await api(`/threads/${encodeURIComponent(threadId)}`);
  } catch (error) {
    $("thread-error").textContent = `The thread could not be read: ${error.message}`;
    $("thread-error").hidden = false;
    return;
  }
  document.title = `${data.title} - threadsearch`;
  $("thread-title").textContent = data.title;
  const posts = data.entries.filter((e) => e.kind === "post").length;
  const meta = [data.site, `${data.entry_count} entries`].filter(Boolean).join(" · ");
  $("thread-meta").replaceChildren(meta);
  if (data.url && /^https?:\/\//i.test(data.url)) {
    $("thread-meta").append(" · ", el("a", { href: data.url, rel: "noopener noreferrer", text: "original" }));
  }
  const byId = new Map(data.entries.map((e) => [e.id, e]));
  const items = data.entries.map((entry) => {
    const item = el("li", { className: `entry depth-${Math.min(entry.depth, 6)}`, id: `e-${entry.id}`, tabIndex: -1 });
    const head = el("p", { className: "meta" },
      el("strong", { text: entryLabel(entry, data.entries.length, posts) }), " · ",
      el("span", { className: "author", text: entry.author || "anonymous" }), " · ", timeElement(entry.timestamp));
    const parent = entry.parent_id && byId.get(entry.parent_id);
    if (parent && parent.kind !== "post") {
      head.append(" · ", el("a", { href: `#e-${parent.id}`, text: `reply to ${entryLabel(parent, data.entries.length, posts)}` }));
    }
    item.append(head);
    if (entry.title && entry.kind !== "post") item.append(el("h3", { text: entry.title }));
    if (entry.quoted) {
      const quote = el("blockquote", { text: entry.quoted });
      const source = quoteSource(data.entries, entry);
      if (source) {
        quote.append(el("footer", {}, "quoting ", el("a", { href: `#e-${source.id}`, className: "quote-link", text: entryLabel(source, data.entries.length, posts) })));
      }
      item.append(quote);
    }
    item.append(el("div", { className: "body", text: entry.body }));
    return item;
  });
  $("entries").replaceChildren(...items);
  const hit = target && document.getElementById(`e-${target}`);
  if (hit) {
    hit.classList.add("current");
    hit.setAttribute("aria-current", "true");
    hit.scrollIntoView({ block: "center" });
    hit.focus({ preventScroll: true });
    await renderSimilar(target);
  }
  document.body.dataset.rendered = location.search;
}

async function renderSimilar(entryId) {
  let result;
  try {
    result = await api(`/entries/${encodeURIComponent(entryId)}/similar?limit=5`);
  } catch {
    return;
  }
  const items = result.hits.map((hit) => el("li", {},
    el("a", { href: threadHref(hit.thread_id, hit.id), text: hit.thread_title || hit.thread_id }),
    el("span", { className: "meta", text: ` · ${hit.kind} ${hit.position} · ${hit.author || "anonymous"}` }),
    el("p", { className: "snippet" }, highlighted(hit.snippet || ""))));
  $("similar").replaceChildren(...items);
  $("similar-box").hidden = !items.length;
}

/* --- start --------------------------------------------------------------------------- */

function start() {
  const match = location.pathname.match(/^\/thread\/(.+)$/);
  if (match) {
    const back = $("back");
    back.addEventListener("click", (event) => {
      if (document.referrer.startsWith(location.origin) && history.length > 1) {
        event.preventDefault();
        history.back();
      }
    });
    runThread(decodeURIComponent(match[1]));
    return;
  }
  $("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    change((p) => { if ($("q").value) p.set("q", $("q").value); else p.delete("q"); });
  });
  $("sort").addEventListener("change", () => change((p) => {
    if ($("sort").value === "relevance") p.delete("sort"); else p.set("sort", $("sort").value);
  }));
  $("collapse").addEventListener("change", () => change((p) => {
    if ($("collapse").checked) p.set("collapse", "thread"); else p.delete("collapse");
  }));
  $("prev").addEventListener("click", () => turnPage(-1));
  $("next").addEventListener("click", () => turnPage(1));
  $("more").addEventListener("click", () => showMore().catch((error) => showError(error.message)));
  document.addEventListener("keydown", (event) => {
    if (event.key === "/" && !["INPUT", "SELECT", "TEXTAREA"].includes(document.activeElement.tagName)) {
      event.preventDefault();
      $("q").focus();
    }
  });
  if (window.matchMedia("(max-width: 50rem)").matches) $("facets-box").open = false;
  setUpHistogram();
  window.addEventListener("popstate", runSearch);
  runSearch();
}

start();
