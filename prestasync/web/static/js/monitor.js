// The job monitor: keeps the cards of one `[data-monitor]` section current and runs their buttons.
//
// `active` mode (products page): shows active jobs; new active jobs appear, finished ones
// stay with their final state until dismissed. `filtered` mode (sync centre): the cards
// the server listed stay current, and on the first page new jobs matching the filters
// appear on top.

import { api } from "./api.js";
import { t } from "./i18n.js";
import { toast } from "./toasts.js";
import { createCard, jobOf, renderCard, updateTimes, isTerminal } from "./cards.js";

const ACTIVE = new Set(["pending", "running", "held", "cancelling"]);

export class Monitor {
  constructor(root, { onErrors, onChanges }) {
    this.root = root;
    this.mode = root.dataset.monitor;
    this.filter = {
      status: root.dataset.filterStatus || "all",
      shop: root.dataset.filterShop || "",
      type: root.dataset.filterType || "",
    };
    this.acceptsNew = root.dataset.livePage === "1";
    this.list = root.querySelector('[data-field="jobs"]');
    this.empty = root.querySelector('[data-field="empty"]');
    this.modeLabel = root.querySelector('[data-field="live-mode"]');
    this.onErrors = onErrors;
    this.onChanges = onChanges;
    this.cards = new Map();
    this.initial = JSON.parse(root.querySelector('[data-field="initial-jobs"]').textContent);
    for (const job of this.initial) {
      const card = this.list.querySelector(`[data-job-id="${job.id}"]`);
      if (card) {
        this.cards.set(job.id, card);
        renderCard(card, job);
      }
    }
    // Two frames: the first paint shows the widths as they are, later changes animate.
    requestAnimationFrame(() => requestAnimationFrame(() => this.list.classList.add("animated")));
    this.list.addEventListener("click", (event) => this.click(event));
    setInterval(() => this.tick(), 1000);
  }

  matches(job) {
    if (this.mode === "active") return ACTIVE.has(job.status);
    const { status, shop, type } = this.filter;
    if (status === "active" ? !ACTIVE.has(job.status) : status !== "all" && job.status !== status) return false;
    if (shop && String(job.shop_id) !== shop) return false;
    return !type || job.type === type;
  }

  /** Show `job`'s new state; `force` adds a card even when the filters would not (the user just started it). */
  apply(job, { force = false } = {}) {
    const card = this.cards.get(job.id);
    if (card) {
      renderCard(card, job);
      return;
    }
    if (!force && !(this.acceptsNew && this.matches(job))) return;
    const fresh = createCard(job);
    this.cards.set(job.id, fresh);
    // Newest first: before the first card of an older job.
    const next = [...this.list.children].find((el) => Number(el.dataset.jobId) < job.id);
    this.list.insertBefore(fresh, next || null);
    this.empty.hidden = true;
  }

  setMode(mode) {
    this.modeLabel.dataset.mode = mode;
    this.modeLabel.textContent = mode === "connecting" ? "…" : t(`monitor.${mode}`);
  }

  tick() {
    for (const card of this.cards.values()) {
      const job = jobOf(card);
      if (job && !isTerminal(job.status)) updateTimes(card);
    }
  }

  async click(event) {
    const target = event.target.closest("[data-action]");
    const card = target?.closest("[data-job-id]");
    if (!target || !card) return;
    const job = jobOf(card);
    const action = target.dataset.action;
    if (action === "errors") return this.onErrors(job);
    if (action === "changes") return this.onChanges(job);
    if (action === "dismiss") {
      this.cards.delete(job.id);
      card.remove();
      this.empty.hidden = this.list.children.length > 0;
      return;
    }
    target.disabled = true;
    try {
      await this.run(action, job);
    } catch (error) {
      toast(t("action.error", { detail: error.message }), { kind: "error" });
      renderCard(card, jobOf(card));
    }
  }

  async run(action, job) {
    if (action === "cancel") {
      const updated = await api("POST", `/api/jobs/${job.id}/cancel`);
      this.apply(updated);
      toast(t("action.done_cancel", { id: job.id }));
    } else if (action === "retry" || action === "retry-failed") {
      await this.retry(job, action === "retry-failed");
    } else if (action === "confirm") {
      this.apply(await api("POST", `/api/jobs/${job.id}/confirm`));
      toast(t("action.done_confirm", { id: job.id }), { kind: "success" });
    } else if (action === "apply") {
      await this.applyPreview(job);
    }
  }

  /** Write what a completed preview planned: a new job (the change guard may still hold it). */
  async applyPreview(job) {
    const created = await api("POST", `/api/jobs/${job.id}/apply`);
    this.apply(created, { force: true });
    toast(t("action.done_apply", { id: created.id }), { kind: "success" });
    return created;
  }

  async retry(job, failedOnly) {
    const query = failedOnly ? "?failed_only=true" : "";
    const created = await api("POST", `/api/jobs/${job.id}/retry${query}`);
    this.apply(created, { force: true });
    toast(t("action.done_started", { id: created.id }), { kind: "success" });
    return created;
  }
}
