// Operator: what the tenant's key may see of the platform: its own usage (GET /v1/usage: device time, items, queue wait,
// quota), the served models (GET /v1/models), and from the platform's Prometheus /metrics only the platform-wide series:
// each replica's queue (named "{silo}/{device}") and the mean batch size. Per-tenant series are never read or shown.
import { api } from "./api.js";
import { $, el, showError } from "./ui.js";

const USAGE = [
  ["tenant", "Tenant"], ["device_seconds", "Device time (s)"], ["items_run", "Items run"], ["active_jobs", "Active jobs"],
  ["mean_queue_wait_seconds", "Mean queue wait (s)"], ["deadline_drops", "Deadline drops"], ["images_used", "Images used"],
  ["image_quota", "Image quota (0 = none)"], ["device_seconds_remaining", "Device seconds left"], ["weight", "Share weight"],
];

const round = (v) => (typeof v === "number" && !Number.isInteger(v) ? v.toFixed(2) : v ?? "unlimited");

/** Replica queue depths and the mean batch size from Prometheus text (platform-wide series only). */
export function platformFigures(text) {
  const queues = [];
  let batchSum = 0, batchCount = 0;
  for (const line of text.split("\n")) {
    const queue = /^\w*_queue_depth\{[^}]*queue="([^"]*)"[^}]*\} (\S+)/.exec(line);
    if (queue) queues.push({ queue: queue[1], depth: Number(queue[2]) });
    const batch = /^\w*_batch_size_(sum|count)(?:\{[^}]*\})? (\S+)/.exec(line);
    if (batch?.[1] === "sum") batchSum += Number(batch[2]);
    if (batch?.[1] === "count") batchCount += Number(batch[2]);
  }
  return { queues, meanBatch: batchCount ? batchSum / batchCount : null };
}

async function loadPlatform() {
  const response = await fetch("/metrics");
  if (!response.ok) return;
  const { queues, meanBatch } = platformFigures(await response.text());
  $("#replicas-table tbody").replaceChildren(...queues.map((q) => el("tr", {}, el("td", { text: q.queue }), el("td", { text: String(q.depth) }))));
  $("#mean-batch").textContent = meanBatch == null ? "Mean batch size: no batches yet" : `Mean batch size: ${meanBatch.toFixed(2)} rows`;
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
