// Small DOM helpers shared by the views.
export const $ = (selector) => document.querySelector(selector);

export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

export function showError(error) {
  const box = $("#error");
  if (!error) { box.hidden = true; box.textContent = ""; return; }
  box.textContent = error.message ?? String(error);
  box.hidden = false;
}

/** A figure with an image and a caption; `download` adds a download link. */
export function figure(src, alt, caption, download) {
  const parts = [el("img", { src, alt })];
  if (caption) parts.push(el("figcaption", { text: caption }));
  if (download) parts.push(el("a", { href: src, download: download, text: "Download" }));
  return el("figure", {}, ...parts);
}
