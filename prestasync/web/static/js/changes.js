// The changes modal: what a job changed (a preview: what it would change), grouped by kind of
// change (each group a filter), narrowed by SKU, listed page by page as field: before → after.
// Every value is set as text (textContent): markup in a product's data shows as written.

import { api } from "./api.js";
import { t } from "./i18n.js";
import { subjectOf } from "./cards.js";

const PER_PAGE = 50;

const el = (tag, className, text) => {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
};

/** A changed value as plain text: lists joined, nothing (`null`) as "(empty)". */
function valueText(value) {
  if (value === null || value === undefined || value === "") return null;
  if (Array.isArray(value)) return value.map((v) => (typeof v === "object" ? JSON.stringify(v) : String(v))).join(", ");
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

function valueCell(className, value) {
  const text = valueText(value);
  const cell = el("td", className, text ?? t("changes.empty"));
  if (text === null) cell.classList.add("muted");
  return cell;
}

/** The label of a kind of change: its own text where there is one (`12 price changes`). */
function kindText(name, n) {
  const key = `changes.field.${name}`;
  const text = t(key, { n });
  return text === key ? t("changes.field", { field: name, n }) : text;
}

export class ChangesModal {
  constructor(dialog) {
    this.dialog = dialog;
    this.job = null;
    this.filter = {};
    this.sku = "";
    this.offset = 0;
    this.total = 0;
    this.seq = 0; // answers to an older request (another filter, another job) are dropped
    this.field = (name) => dialog.querySelector(`[data-field="${name}"]`);
    dialog.addEventListener("click", (event) => this.click(event));
    this.field("sku-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.sku = this.field("sku").value.trim();
      this.offset = 0;
      this.load();
    });
  }

  async open(job) {
    this.job = job;
    this.filter = {};
    this.sku = "";
    this.offset = 0;
    this.field("sku").value = "";
    const what = `${t(`type.${job.type}`)} · ${subjectOf(job)}`;
    this.field("title").textContent = t(job.preview ? "changes.title_preview" : "changes.title", { job: what });
    this.field("csv").href = `/api/jobs/${encodeURIComponent(job.id)}/changes.csv`;
    this.field("groups").replaceChildren();
    this.field("rows").replaceChildren();
    this.field("table").hidden = true;
    this.field("pager").hidden = true;
    if (!this.dialog.open) this.dialog.showModal();
    await Promise.all([this.loadSummary(), this.load()]);
  }

  async loadSummary() {
    const job = this.job;
    const summary = await api("GET", `/api/jobs/${job.id}/changes/summary`);
    if (job !== this.job) return;
    const all = summary.created + summary.updated + summary.drift;
    const groups = [this.groupButton(t("changes.all", { n: all }), {})];
    if (summary.created) groups.push(this.groupButton(t("changes.group.created", { n: summary.created }), { outcome: "created" }));
    if (summary.updated) groups.push(this.groupButton(t("changes.group.updated", { n: summary.updated }), { outcome: "updated" }));
    for (const [name, n] of Object.entries(summary.fields)) groups.push(this.groupButton(kindText(name, n), { field: name }));
    if (summary.drift) groups.push(this.groupButton(t("changes.group.drift", { n: summary.drift }), { outcome: "drift" }));
    if (summary.failed) groups.push(el("span", "change-group-note", t("changes.group.failed", { n: summary.failed })));
    this.field("groups").replaceChildren(...groups);
    this.markGroups();
  }

  groupButton(label, filter) {
    const button = el("button", "btn change-group", label);
    button.type = "button";
    button.dataset.action = "group";
    button.dataset.outcome = filter.outcome || "";
    button.dataset.kind = filter.field || "";
    return button;
  }

  markGroups() {
    for (const button of this.field("groups").querySelectorAll('[data-action="group"]')) {
      const on = button.dataset.outcome === (this.filter.outcome || "") && button.dataset.kind === (this.filter.field || "");
      button.setAttribute("aria-pressed", String(on));
    }
  }

  async load() {
    const job = this.job;
    const seq = ++this.seq;
    const params = new URLSearchParams({ offset: this.offset, limit: PER_PAGE });
    if (this.filter.outcome) params.set("outcome", this.filter.outcome);
    if (this.filter.field) params.set("field", this.filter.field);
    if (this.sku) params.set("sku", this.sku);
    const status = this.field("status");
    status.textContent = t("modal.loading");
    status.hidden = false;
    let page;
    try {
      page = await api("GET", `/api/jobs/${job.id}/changes?${params}`);
    } catch (error) {
      if (seq === this.seq) status.textContent = t("action.error", { detail: error.message });
      return;
    }
    if (seq !== this.seq) return;
    this.total = page.total;
    this.field("rows").replaceChildren(...page.items.flatMap((item) => this.itemRows(item)));
    this.field("table").hidden = page.items.length === 0;
    status.textContent = page.items.length ? "" : t("changes.none");
    status.hidden = page.items.length > 0;
    const last = this.offset + page.items.length;
    this.field("range").textContent = t("changes.range", { first: this.offset + 1, last, total: page.total });
    this.field("pager").hidden = page.total <= PER_PAGE;
    this.dialog.querySelector('[data-action="prev"]').disabled = this.offset === 0;
    this.dialog.querySelector('[data-action="next"]').disabled = last >= page.total;
  }

  /** One row per changed field; the first carries the SKU and what happens to the product. */
  itemRows(item) {
    const entries = Object.entries(item.changes || {}).sort(([a], [b]) => a.localeCompare(b));
    const head = el("td", "sku");
    head.rowSpan = Math.max(1, entries.length);
    const link = el("a", "", item.sku);
    link.href = "/products?" + new URLSearchParams({ search: item.sku });
    const outcome = el("span", "change-outcome", t(`changes.outcome.${item.outcome}`));
    outcome.dataset.outcome = item.outcome || "";
    head.append(link, outcome);
    if (!entries.length) {
      const row = el("tr");
      row.dataset.sku = item.sku;
      row.append(head, el("td", "field"), valueCell("before", null), el("td", "arrow", "→"), valueCell("after", null));
      return [row];
    }
    return entries.map(([name, pair], index) => {
      const [before, after] = Array.isArray(pair) ? pair : [null, pair];
      const row = el("tr");
      row.dataset.sku = item.sku;
      if (index === 0) row.append(head);
      row.append(el("td", "field", name), valueCell("before", before), el("td", "arrow", "→"), valueCell("after", after));
      return row;
    });
  }

  async click(event) {
    if (event.target === this.dialog) return this.dialog.close(); // a click on the backdrop
    const target = event.target.closest("[data-action]");
    if (!target) return;
    const action = target.dataset.action;
    if (action === "close") return this.dialog.close();
    if (action === "group") {
      this.filter = { outcome: target.dataset.outcome || undefined, field: target.dataset.kind || undefined };
      this.offset = 0;
      this.markGroups();
      return this.load();
    }
    if (action === "prev" || action === "next") {
      this.offset = Math.max(0, this.offset + (action === "next" ? PER_PAGE : -PER_PAGE));
      return this.load();
    }
  }
}
