// Toasts for jobs that end while the page is open: a job seen active that turns terminal,
// or one first seen in a live event already finished (it started and ended between two ticks).

import { t } from "./i18n.js";
import { toast } from "./toasts.js";
import { isTerminal, subjectOf, textKind } from "./cards.js";

const KIND = { completed: "success", failed: "error", cancelled: "warning" };

export class JobToaster {
  constructor(initialJobs) {
    this.seen = new Map(initialJobs.map((job) => [job.id, job.status]));
  }

  /** Remember `job`'s status; toast when it just ended. `live` is false for snapshots. */
  note(job, { live }) {
    const before = this.seen.get(job.id);
    this.seen.set(job.id, job.status);
    if (!isTerminal(job.status)) return;
    const ended = before === undefined ? live : !isTerminal(before);
    if (ended) this.announce(job);
  }

  announce(job) {
    const values = {
      shop: subjectOf(job),
      processed: job.processed,
      failed: job.failed,
      error: job.error_message || "",
    };
    toast(t(`toast.${job.status}.${textKind(job)}`, values), {
      kind: KIND[job.status],
      href: `/shops/sync?job=${encodeURIComponent(job.id)}`,
      linkText: t("toast.open"),
      timeout: job.status === "completed" ? 8000 : 15000,
    });
  }
}
