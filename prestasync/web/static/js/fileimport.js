// The products page's file import: sends the chosen CSV/XLSX to the API as multipart and
// hands the started job to the monitor, which shows its card live like any other job.

import { api } from "./api.js";
import { t } from "./i18n.js";
import { toast } from "./toasts.js";

export function initFileImport(panel, { onStarted }) {
  const form = panel.querySelector('[data-field="upload-form"]');
  const input = form.querySelector('[data-field="upload-file"]');
  const button = form.querySelector('[data-action="upload"]');
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = input.files && input.files[0];
    if (!file) return toast(t("files.no_file"), { kind: "warning" });
    const query = new URLSearchParams();
    const profile = form.querySelector('[data-field="upload-profile"]').value;
    if (profile) query.set("profile", profile);
    if (form.querySelector('[data-field="upload-dry-run"]').checked) query.set("dry_run", "true");
    const body = new FormData();
    body.append("file", file, file.name);
    button.disabled = true;
    try {
      const job = await api("POST", `/api/catalogue/imports?${query}`, body);
      onStarted(job);
      toast(t("files.started", { id: job.id }), { kind: "success", timeout: 4000 });
      const ignored = job.params.ignored_columns || [];
      if (ignored.length) toast(t("files.ignored", { columns: ignored.join(", ") }), { kind: "warning", timeout: 15000 });
      form.reset();
    } catch (error) {
      toast(t("action.error", { detail: error.message }), { kind: "error" });
    } finally {
      button.disabled = false;
    }
  });
}
