// The notification centre's bell: the unread count (kept fresh by polling, and at once when a job
// ends on a page with the live stream), a panel with the latest notifications, mark one or all read.

import { api } from "./api.js";
import { t } from "./i18n.js";

const POLL_MS = 5000;
const LATEST = 10;

export class Bell {
  constructor(root) {
    this.root = root;
    this.toggle = root.querySelector("[data-bell-toggle]");
    this.count = root.querySelector("[data-bell-count]");
    this.panel = root.querySelector("#bell-panel");
    this.list = root.querySelector("[data-bell-list]");
    this.empty = root.querySelector("[data-bell-empty]");
    this.timer = null;
  }

  start() {
    this.toggle.addEventListener("click", () => (this.panel.hidden ? this.open() : this.close()));
    this.root.querySelector("[data-bell-read-all]").addEventListener("click", () => this.readAll());
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && !this.panel.hidden) { this.close(); this.toggle.focus(); }
    });
    document.addEventListener("visibilitychange", () => { if (!document.hidden) this.refresh(); });
    this.refresh();
  }

  /** Ask again soon: a job just ended, its notification is written within a loop tick. */
  nudge() {
    setTimeout(() => this.refresh(), 1500);
    setTimeout(() => this.refresh(), 4000);
  }

  async refresh() {
    clearTimeout(this.timer);
    try {
      const data = await api("GET", "/api/notifications/unread");
      this.show(data.unread);
      if (!this.panel.hidden) await this.load();
    } catch (error) {
      if (error.status === 401) return;
    }
    this.timer = setTimeout(() => this.refresh(), document.hidden ? POLL_MS * 3 : POLL_MS);
  }

  show(unread) {
    this.count.textContent = String(unread);
    this.count.hidden = unread === 0;
    this.toggle.setAttribute("title", t("bell.unread", { n: unread }));
  }

  async open() {
    this.panel.hidden = false;
    this.toggle.setAttribute("aria-expanded", "true");
    await this.load();
  }

  close() {
    this.panel.hidden = true;
    this.toggle.setAttribute("aria-expanded", "false");
  }

  async load() {
    const page = await api("GET", `/api/notifications?limit=${LATEST}`);
    this.list.replaceChildren(...page.items.map((item) => this.row(item)));
    this.empty.hidden = page.items.length > 0;
  }

  row(item) {
    const li = document.createElement("li");
    li.dataset.notificationId = String(item.id);
    if (!item.read) li.className = "unread";
    const link = document.createElement("a");
    link.href = item.link;
    link.textContent = item.text;
    li.append(link);
    if (!item.read) {
      const mark = document.createElement("button");
      mark.type = "button";
      mark.className = "btn btn-quiet";
      mark.textContent = t("bell.read");
      mark.addEventListener("click", async () => {
        const data = await api("POST", `/api/notifications/${item.id}/read`);
        this.show(data.unread);
        await this.load();
      });
      li.append(mark);
    }
    return li;
  }

  async readAll() {
    const data = await api("POST", "/api/notifications/read-all");
    this.show(data.unread);
    await this.load();
  }
}

export function initBell() {
  const root = document.querySelector("[data-bell]");
  if (!root) return null;
  const bell = new Bell(root);
  bell.start();
  return bell;
}
