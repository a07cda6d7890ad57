// Job cards: texts, the progress bar, rate/ETA and button states from the job JSON.
// The server renders the same card (templates/_job.html via Texts.job); keep the two in step.

import { t, duration } from "./i18n.js";

const TERMINAL = new Set(["completed", "failed", "cancelled"]);
const HALF_LIFE_S = 5;
const state = new WeakMap(); // card -> { job, received, rate, sample }

export const isTerminal = (status) => TERMINAL.has(status);

// A dry run reads as what it is: a file import's is a check, an export's or a sync's a preview.
const PREVIEW_KINDS = { file_import: "file_check", export: "export_preview", sync: "sync_preview" };
const OUTCOMES = ["created", "updated", "unchanged", "failed", "skipped"];

/** The text family of a job (as Texts.kind). */
export const textKind = (job) => (job.preview && PREVIEW_KINDS[job.type]) || job.type;

/** Whether the card offers the changes list (as Texts.has_changes): a plan waits, or an export wrote. */
export function hasChanges(job) {
  const actions = job.actions || [];
  if (actions.includes("apply") || actions.includes("confirm")) return true;
  const written = (job.created || 0) + (job.updated || 0);
  return (job.type === "export" || job.type === "sync") && TERMINAL.has(job.status) && written > 0;
}

function stepText(step) {
  if (!step) return "";
  const values = { phase: step.phase, done: step.done, total: step.total };
  const text = t(`job.step.${step.phase}`, values);
  return text === `job.step.${step.phase}` ? t("job.step", values) : text;
}

const outcomesText = (job) =>
  OUTCOMES.filter((name) => job[name]).map((name) => t(`job.outcome.${name}`, { n: job[name] })).join(" · ");

const show = (node, text) => {
  node.textContent = text;
  node.hidden = !text;
};

/** Who the job is with: its shop, or the file a file import reads (as Texts.subject). */
export const subjectOf = (job) => job.shop_name || t(job.type === "file_import" ? "job.unnamed_file" : "job.shop_deleted");

const field = (card, name) => card.querySelector(`[data-field="${name}"]`);
const button = (card, action) => card.querySelector(`[data-action="${action}"]`);

export function createCard(job) {
  const template = document.getElementById("job-card-template");
  const card = template.content.firstElementChild.cloneNode(true);
  card.id = `job-${job.id}`;
  card.dataset.jobId = String(job.id);
  renderCard(card, job);
  return card;
}

export const jobOf = (card) => state.get(card)?.job;

export function renderCard(card, job) {
  const { status, failed } = job;
  const kind = textKind(job);
  const count = job.total > 0 ? `${job.processed}/${job.total}` : `${job.processed}`;
  const shop = subjectOf(job);
  track(card, job);
  card.dataset.status = status;
  field(card, "title").textContent = t(`job.${status}.${kind}`, { count, shop });
  const badge = field(card, "badge");
  badge.textContent = t(`status.${status}`);
  badge.dataset.status = status;
  const percent = Math.max(0, Math.min(100, job.percent || 0));
  field(card, "fill").style.width = `${percent}%`;
  field(card, "bar").setAttribute("aria-valuenow", String(percent));
  field(card, "percent").textContent = `${percent.toFixed(1)}%`;
  const ident = field(card, "ident");
  ident.textContent = t("job.id", { id: job.id });
  ident.href = `/shops/sync?job=${encodeURIComponent(job.id)}`;
  field(card, "retry-of").textContent = job.retry_of ? t("job.retry_of", { id: job.retry_of }) : "";
  show(field(card, "step"), stepText(job.step));
  show(field(card, "outcomes"), outcomesText(job));
  const held = status === "held" ? t("job.held_reason", { reason: job.error_message || "" }) : "";
  show(field(card, "held"), held);
  const error = field(card, "error");
  error.textContent = job.error_message || "";
  error.hidden = !job.error_message || Boolean(held);
  const errors = button(card, "errors");
  errors.textContent = failed ? t(`job.errors.${kind}`, { n: failed }) : "";
  errors.hidden = !failed;
  // The server says which actions the job allows (job.actions); the page never re-derives them.
  const allowed = new Set(job.actions || []);
  button(card, "cancel").disabled = !allowed.has("cancel");
  button(card, "retry").disabled = !allowed.has("retry");
  button(card, "retry-failed").disabled = !allowed.has("retry_failed");
  for (const action of ["confirm", "apply"]) {
    const node = button(card, action);
    node.hidden = !allowed.has(action);
    node.disabled = !allowed.has(action);
  }
  button(card, "changes").hidden = !hasChanges(job);
  const dismiss = button(card, "dismiss");
  if (dismiss) dismiss.hidden = !isTerminal(status);
  updateTimes(card);
}

// Smooth the rate over the updates this page saw (an EWMA), seeded with the server's
// mean rate; shown only once the server says the job is warmed up (rate_per_s != null).
function track(card, job) {
  const now = performance.now();
  const prev = state.get(card);
  let rate = prev?.rate ?? job.rate_per_s;
  const sample = prev?.sample;
  if (sample && job.status === "running" && job.processed >= sample.processed) {
    const dt = (now - sample.at) / 1000;
    if (dt >= 0.2) {
      const inst = (job.processed - sample.processed) / dt;
      rate = rate == null ? inst : rate + (1 - 0.5 ** (dt / HALF_LIFE_S)) * (inst - rate);
    }
  }
  const keepSample = sample && (now - sample.at) / 1000 < 0.2;
  state.set(card, {
    job,
    received: now,
    rate: job.rate_per_s == null ? null : rate,
    sample: keepSample ? sample : { at: now, processed: job.processed },
  });
}

/** Elapsed time ticks between updates; rate and ETA follow the smoothed rate. */
export function updateTimes(card) {
  const s = state.get(card);
  if (!s) return;
  const { job } = s;
  const running = job.status === "running" || job.status === "cancelling";
  const since = running ? (performance.now() - s.received) / 1000 : 0;
  const elapsed = job.elapsed_s == null ? null : job.elapsed_s + since;
  field(card, "elapsed").textContent = elapsed ? t("job.elapsed", { elapsed: duration(elapsed) }) : "";
  const warm = job.status === "running" && s.rate != null && s.rate > 0;
  field(card, "rate").textContent = warm ? t("job.rate", { rate: s.rate.toFixed(1) }) : "";
  let eta = "";
  if (warm && job.eta_s != null && job.total > 0) {
    eta = t("job.eta", { eta: duration(Math.max(0, (job.total - job.processed) / s.rate - since)) });
  }
  field(card, "eta").textContent = eta;
}
