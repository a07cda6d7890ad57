// The error modal: a job's failed items grouped by cause, each group paginated on the server.

import { api } from "./api.js";
import { t } from "./i18n.js";

const GROUPS_PER_PAGE = 20;
const ITEMS_PER_PAGE = 50;

const el = (tag, className, text) => {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
};

export class ErrorModal {
  constructor(dialog, { onRetryFailed }) {
    this.dialog = dialog;
    this.onRetryFailed = onRetryFailed;
    this.job = null;
    this.groupsOffset = 0;
    this.field = (name) => dialog.querySelector(`[data-field="${name}"]`);
    dialog.addEventListener("click", (event) => this.click(event));
  }

  async open(job) {
    this.job = job;
    this.groupsOffset = 0;
    const verb = t(`type.${job.type}`);
    this.field("title").textContent = t("modal.title", { shop: `${verb} · ${job.shop_name || t("job.shop_deleted")}` });
    this.field("csv").href = `/api/jobs/${encodeURIComponent(job.id)}/errors.csv`;
    this.field("job-error").hidden = !job.error_message;
    this.field("job-error-text").textContent = job.error_message || "";
    this.field("summary").textContent = t("modal.loading");
    this.field("groups").replaceChildren();
    this.dialog.querySelector('[data-action="retry-failed"]').disabled = !(job.failed > 0);
    if (!this.dialog.open) this.dialog.showModal();
    await this.loadGroups();
  }

  async loadGroups() {
    const job = this.job;
    const params = new URLSearchParams({ offset: this.groupsOffset, limit: GROUPS_PER_PAGE });
    const data = await api("GET", `/api/jobs/${job.id}/errors/groups?${params}`);
    if (job !== this.job) return;
    this.field("summary").textContent = t("modal.groups", { groups: data.total, items: data.items });
    for (const group of data.groups) this.field("groups").append(this.groupElement(group));
    this.groupsOffset += data.groups.length;
    this.dialog.querySelector('[data-action="more-groups"]').hidden = this.groupsOffset >= data.total;
  }

  groupElement(group) {
    const li = el("li", "group");
    li.dataset.cause = group.cause;
    li.dataset.offset = "0";
    const head = el("button", "group-head");
    head.type = "button";
    head.dataset.action = "toggle-group";
    head.setAttribute("aria-expanded", "false");
    head.append(
      el("span", "group-count", String(group.count)),
      el("span", "group-cause", group.cause || t("modal.no_cause")),
      el("span", "group-code", group.error_code || ""),
    );
    const items = el("ul", "group-items");
    items.hidden = true;
    const more = el("button", "btn", t("modal.more"));
    more.type = "button";
    more.dataset.action = "more-items";
    more.hidden = true;
    li.append(head, items, more);
    return li;
  }

  async loadItems(li) {
    const job = this.job;
    const offset = Number(li.dataset.offset);
    const params = new URLSearchParams({ cause: li.dataset.cause, offset, limit: ITEMS_PER_PAGE });
    const data = await api("GET", `/api/jobs/${job.id}/errors?${params}`);
    if (job !== this.job) return;
    const list = li.querySelector(".group-items");
    for (const item of data.items) {
      const row = el("li");
      const link = el("a", "", item.sku);
      link.href = "/products?" + new URLSearchParams({ search: item.sku });
      link.title = t("modal.find");
      row.append(link, el("span", "msg", item.message || ""));
      list.append(row);
    }
    li.dataset.offset = String(offset + data.items.length);
    li.dataset.more = offset + data.items.length < data.total ? "1" : "";
    li.querySelector('[data-action="more-items"]').hidden = !li.dataset.more;
  }

  async click(event) {
    if (event.target === this.dialog) return this.dialog.close(); // a click on the backdrop
    const target = event.target.closest("[data-action]");
    if (!target) return;
    const action = target.dataset.action;
    if (action === "close") return this.dialog.close();
    if (action === "more-groups") return this.loadGroups();
    const li = target.closest(".group");
    if (action === "more-items") return this.loadItems(li);
    if (action === "toggle-group") {
      const open = target.getAttribute("aria-expanded") !== "true";
      target.setAttribute("aria-expanded", String(open));
      li.querySelector(".group-items").hidden = !open;
      if (open && li.dataset.offset === "0") await this.loadItems(li);
      else li.querySelector('[data-action="more-items"]').hidden = !open || !li.dataset.more;
      return;
    }
    if (action === "retry-failed") {
      target.disabled = true;
      try {
        await this.onRetryFailed(this.job);
        this.dialog.close();
      } finally {
        target.disabled = false;
      }
    }
  }
}
