// Switching between the views (Generate, Caption, History, Operator): one visible section, the nav button marked current.
const loaders = {};

export function onShow(view, load) { loaders[view] = load; }

export function show(view) {
  for (const panel of document.querySelectorAll("[data-view-panel]")) panel.hidden = panel.dataset.viewPanel !== view;
  for (const button of document.querySelectorAll("nav [data-view]")) {
    if (button.dataset.view === view) button.setAttribute("aria-current", "page");
    else button.removeAttribute("aria-current");
  }
  loaders[view]?.();
}
