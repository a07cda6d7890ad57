// Page start-up: wires the monitor, the live connection, toasts, the error modal and actions.

import { Monitor } from "./monitor.js";
import { Live } from "./live.js";
import { JobToaster } from "./toaster.js";
import { ErrorModal } from "./errors.js";
import { ChangesModal } from "./changes.js";
import { initProducts } from "./products.js";
import { initDetails } from "./details.js";
import { initBell } from "./bell.js";
import { initFileImport } from "./fileimport.js";

const bell = initBell();

function start() {
  const root = document.querySelector("[data-monitor]");
  if (!root) return;
  let monitor = null;
  const modal = new ErrorModal(document.getElementById("errors-modal"), {
    onRetryFailed: (job) => monitor.retry(job, true),
  });
  const changes = new ChangesModal(document.getElementById("changes-modal"));
  monitor = new Monitor(root, { onErrors: (job) => modal.open(job), onChanges: (job) => changes.open(job) });
  const toaster = new JobToaster(monitor.initial);
  const onJob = (job, { live }) => {
    if (live && bell && ["completed", "failed", "cancelled", "held"].includes(job.status)) bell.nudge();
    toaster.note(job, { live });
    monitor.apply(job);
  };
  const live = new Live({
    lastEventId: document.body.dataset.lastEventId,
    activeIds: monitor.initial.filter((job) => !["completed", "failed", "cancelled"].includes(job.status)).map((job) => job.id),
    onJob,
    onSnapshot: (jobs) => jobs.forEach((job) => onJob(job, { live: false })),
    onMode: (mode) => monitor.setMode(mode),
  });
  live.start();
  const actions = document.querySelector('[data-field="actions"]');
  const started = (job) => { toaster.note(job, { live: true }); monitor.apply(job, { force: true }); };
  if (actions) initProducts(actions, { onStarted: started });
  const files = document.querySelector('[data-field="file-import"]');
  if (files) initFileImport(files, { onStarted: started });
  const products = document.querySelector("table.products");
  if (products) initDetails(products);
  window.prestasync = { monitor, live }; // for debugging in the console
}

start();
