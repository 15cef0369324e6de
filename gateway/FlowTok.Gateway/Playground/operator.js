// Operator: what the tenant's key may see of the platform: its own usage (GET /v1/usage: device time, items, queue wait,
// quota), the served models (GET /v1/models), and the platform-wide replica figures (GET /v1/replicas: each replica's
// queue, named "{silo}/{device}", and how full its batch is). Per-tenant figures of others are never read or shown.
import { api } from "./api.js";
import { $, el, showError } from "./ui.js";

const USAGE = [
  ["tenant", "Tenant"], ["device_seconds", "Device time (s)"], ["items_run", "Items run"], ["active_jobs", "Active jobs"],
  ["mean_queue_wait_seconds", "Mean queue wait (s)"], ["deadline_drops", "Deadline drops"], ["images_used", "Images used"],
  ["image_quota", "Image quota (0 = none)"], ["device_seconds_remaining", "Device seconds left"], ["weight", "Share weight"],
];

const round = (v) => (typeof v === "number" && !Number.isInteger(v) ? v.toFixed(2) : v ?? "unlimited");

/** Rows per forward over all replicas, weighted by their steps; null before the first one. */
export function meanBatch(replicas) {
  const steps = replicas.reduce((n, r) => n + r.batches, 0);
  return steps ? replicas.reduce((n, r) => n + r.mean_batch_rows * r.batches, 0) / steps : null;
}

async function loadPlatform() {
  const replicas = (await api("/v1/replicas")).data;
  $("#replicas-table tbody").replaceChildren(...replicas.map((r) => el("tr", {},
    el("td", { text: r.id }), el("td", { text: r.model }), el("td", { text: String(r.queue_depth) }),
    el("td", { text: `${r.batch_rows} / ${r.max_batch_rows}` }))));
  const mean = meanBatch(replicas);
  $("#mean-batch").textContent = mean == null ? "Mean batch size: no batches yet" : `Mean batch size: ${mean.toFixed(2)} rows`;
}

export async function load() {
  showError(null);
  try {
    const [usage, models] = await Promise.all([api("/v1/usage"), api("/v1/models"), loadPlatform()]);
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
