// The products page's actions: import from, export to, or sync with the chosen shops, or
// preview an export or a sync (a dry run: it reads and compares, and writes nothing).

import { api } from "./api.js";
import { t } from "./i18n.js";
import { toast } from "./toasts.js";

const checked = (name) => [...document.querySelectorAll(`[data-field="${name}"]:checked`)];

export function initProducts(panel, { onStarted }) {
  const exportSelected = panel.querySelector('[data-action="export-selected"]');
  const selectAll = document.querySelector('[data-field="select-all"]');
  const label = () => {
    exportSelected.textContent = t("actions.export_selected", { n: checked("product-pick").length });
  };
  document.addEventListener("change", (event) => {
    if (event.target === selectAll) {
      for (const box of document.querySelectorAll('[data-field="product-pick"]')) box.checked = selectAll.checked;
    }
    label();
  });

  async function start(type, params, button) {
    const shopIds = checked("shop-pick").map((box) => Number(box.value));
    if (!shopIds.length) return toast(t("actions.no_shop"), { kind: "warning" });
    button.disabled = true;
    try {
      const data = await api("POST", "/api/jobs", { type, shop_ids: shopIds, params });
      for (const job of data.jobs) {
        onStarted(job);
        toast(t("action.done_started", { id: job.id }), { kind: "success", timeout: 4000 });
      }
    } catch (error) {
      toast(t("action.error", { detail: error.message }), { kind: "error" });
    } finally {
      button.disabled = false;
    }
  }

  panel.addEventListener("click", (event) => {
    const button = event.target.closest("[data-action]");
    if (!button) return;
    const action = button.dataset.action;
    if (action === "import") start("import", {}, button);
    else if (action === "export-all") start("export", {}, button);
    else if (action === "sync") start("sync", {}, button);
    else if (action === "preview-export") start("export", { dry_run: true }, button);
    else if (action === "preview-sync") start("sync", { dry_run: true }, button);
    else if (action === "export-selected") {
      const skus = checked("product-pick").map((box) => box.value);
      if (!skus.length) return toast(t("actions.no_selection"), { kind: "warning" });
      start("export", { skus }, button);
    }
  });
}
