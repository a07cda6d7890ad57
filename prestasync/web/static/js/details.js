// The products table's details: a row opened shows the product's variants (reference, attributes,
// stock, price impact), image thumbnails, categories, features and manufacturer. They are read
// from `GET /api/products/{id}` when the row is first opened, never with the list.

import { api } from "./api.js";
import { t } from "./i18n.js";

const lang = document.documentElement.lang || "en";

const el = (tag, className, text) => {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
};

/** A per-language text in the page's language, else English, else any. */
const local = (texts) => (texts && (texts[lang] || texts.en || Object.values(texts)[0])) || "";

function section(title, ...children) {
  const box = el("section", "detail-part");
  box.append(el("h3", "", title), ...children);
  return box;
}

function images(product) {
  if (!product.images.length) return section(t("details.images"), el("p", "muted", t("details.no_images")));
  const strip = el("div", "thumbs");
  for (const image of product.images) {
    const img = el("img", "thumb");
    img.src = image.url;
    img.alt = local(image.legend) || product.sku;
    img.loading = "lazy";
    img.width = 80;
    img.height = 80;
    if (image.cover) img.classList.add("cover");
    strip.append(img);
  }
  return section(t("details.images"), strip);
}

function variants(product) {
  if (!product.combinations.length) return section(t("details.variants"), el("p", "muted", t("details.no_variants")));
  const table = el("table", "variants");
  const head = el("tr");
  for (const key of ["details.reference", "details.attributes", "details.stock", "details.price_impact"]) {
    head.append(el("th", key === "details.stock" || key === "details.price_impact" ? "num" : "", t(key)));
  }
  table.append(el("thead"), el("tbody"));
  table.tHead.append(head);
  for (const combo of product.combinations) {
    const row = el("tr", "variant");
    const attributes = combo.attributes.map((a) => `${local(a.group)}: ${local(a.value)}`).join(", ");
    const reference = el("td", "sku", combo.reference || t("details.none"));
    if (combo.is_default) reference.append(el("small", "muted", ` (${t("details.default")})`));
    row.append(reference, el("td", "attributes", attributes), el("td", "num stock", String(combo.quantity)));
    row.append(el("td", "num impact", combo.price_impact));
    table.tBodies[0].append(row);
  }
  return section(t("details.variants"), table);
}

function facts(product) {
  const list = el("dl", "detail-facts");
  const add = (label, text) => {
    const item = el("div");
    item.append(el("dt", "", label), el("dd", "", text || t("details.none")));
    list.append(item);
  };
  add(t("details.manufacturer"), product.manufacturer);
  add(t("details.categories"), product.categories.map((c) => local(c.name) || c.path).join(", "));
  add(t("details.features"), product.features.map((f) => `${local(f.name)}: ${local(f.value)}`).join(", "));
  return list;
}

async function fill(cell, productId) {
  cell.replaceChildren(el("p", "muted", t("details.loading")));
  try {
    const product = await api("GET", `/api/products/${encodeURIComponent(productId)}`);
    const grid = el("div", "detail-grid");
    grid.append(images(product), variants(product), facts(product));
    cell.replaceChildren(grid);
  } catch (error) {
    cell.replaceChildren(el("p", "bad", t("details.failed", { detail: error.message })));
  }
}

export function initDetails(table) {
  table.addEventListener("click", (event) => {
    const button = event.target.closest('[data-action="details"]');
    if (!button) return;
    const row = button.closest("tr[data-product-id]");
    let detail = row.nextElementSibling?.classList.contains("product-detail") ? row.nextElementSibling : null;
    const open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", String(open));
    button.textContent = t(open ? "details.hide" : "details.show");
    if (!open) {
      if (detail) detail.hidden = true;
      return;
    }
    if (detail) {
      detail.hidden = false;
      return;
    }
    detail = el("tr", "product-detail");
    detail.dataset.detailFor = row.dataset.productId;
    const cell = el("td");
    cell.colSpan = row.children.length;
    detail.append(cell);
    row.after(detail);
    fill(cell, row.dataset.productId);
  });
}
