// UI texts: the server embeds the chosen language's table (see prestasync/web/i18n.py).

const table = JSON.parse(document.getElementById("texts")?.textContent || "{}");

/** The text for `key` with `{name}` placeholders filled in as plain text. */
export function t(key, values = {}) {
  let text = table[key] ?? key;
  for (const [name, value] of Object.entries(values)) {
    text = text.split(`{${name}}`).join(String(value));
  }
  return text;
}

/** `42 s`, `3 min 5 s`, `2 h 10 min` (as `Texts.duration` on the server). */
export function duration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "";
  const s = Math.round(seconds);
  if (s < 60) return t("time.s", { n: s });
  if (s < 3600) return t("time.m", { m: Math.floor(s / 60), s: s % 60 });
  return t("time.h", { h: Math.floor(s / 3600), m: Math.floor((s % 3600) / 60) });
}
