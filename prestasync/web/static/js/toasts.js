// Toasts: wide enough for long messages, wrapping, never clipped; auto-dismissed, with a close button.

import { t } from "./i18n.js";

export function toast(message, { kind = "info", href = null, linkText = "", timeout = 8000 } = {}) {
  const box = document.getElementById("toasts");
  if (!box) return null;
  const el = document.createElement("div");
  el.className = "toast";
  el.dataset.kind = kind;
  el.setAttribute("role", kind === "error" ? "alert" : "status");
  const body = document.createElement("div");
  body.className = "toast-body";
  const text = document.createElement("span");
  text.className = "toast-text";
  text.textContent = message;
  body.append(text);
  if (href) {
    const link = document.createElement("a");
    link.href = href;
    link.textContent = linkText;
    body.append(link);
  }
  const close = document.createElement("button");
  close.type = "button";
  close.className = "btn btn-quiet";
  close.setAttribute("aria-label", t("toast.close"));
  close.textContent = "×";
  el.append(body, close);
  box.append(el);

  let timer = null;
  const remove = () => el.remove();
  const arm = () => { timer = setTimeout(remove, timeout); };
  close.addEventListener("click", remove);
  // A toast being read (hovered or focused) stays until the pointer or focus leaves.
  el.addEventListener("mouseenter", () => clearTimeout(timer));
  el.addEventListener("mouseleave", arm);
  el.addEventListener("focusin", () => clearTimeout(timer));
  arm();
  return el;
}
