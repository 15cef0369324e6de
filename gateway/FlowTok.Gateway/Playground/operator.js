// Operator: what the tenant's key may see of the platform: its own usage (GET /v1/usage: device time, items, queue wait,
// quota) and the served models (GET /v1/models). Nothing of other tenants.
import { api } from "./api.js";
import { $, el, showError } from "./ui.js";

const USAGE = [
  ["tenant", "Tenant"], ["device_seconds", "Device time (s)"], ["items_run", "Items run"], ["active_jobs", "Active jobs"],
  ["mean_queue_wait_seconds", "Mean queue wait (s)"], ["deadline_drops", "Deadline drops"], ["images_used", "Images used"],
  ["image_quota", "Image quota (0 = none)"], ["device_seconds_remaining", "Device seconds left"], ["weight", "Share weight"],
];

const round = (v) => (typeof v === "number" && !Number.isInteger(v) ? v.toFixed(2) : v ?? "unlimited");

export async function load() {
  showError(null);
  try {
    const [usage, models] = await Promise.all([api("/v1/usage"), api("/v1/models")]);
    $("#usage").replaceChildren(...USAGE.flatMap(([field, label]) => [el("dt", { text: label }), el("dd", { text: String(round(usage[field])) })]));
    $("#models-table tbody").replaceChildren(...models.data.map((m) =>
      el("tr", {}, el("td", { text: m.id }), el("td", { text: m.capabilities.join(", ") }), el("td", { text: m.size }), el("td", { text: m.version }))));
  } catch (e) {
    showError(e);
  }
}

export function setUp() {
  $("#operator-refresh").addEventListener("click", load);
}
