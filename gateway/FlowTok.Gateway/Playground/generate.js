// Generate: submit a job (POST /v1/jobs), follow its events (queue, progress, previews), show the images, cancel.
import { api, follow, ApiError } from "./api.js";
import { $, el, figure, showError } from "./ui.js";
import { captionBlob } from "./caption.js";

const PREVIEWS = 2; // partial images asked for when "Live previews" is on and the platform supports them
let current = null; // { id, abort }

/** The form's settings as the job request's fields (empty fields left to the platform's defaults). */
function settings() {
  const form = $("#generate-form");
  const number = (name) => (form.elements[name].value === "" ? undefined : Number(form.elements[name].value));
  return {
    type: "generation",
    prompt: form.elements.prompt.value,
    model: form.elements.model.value || undefined,
    n: number("n"),
    seed: number("seed"),
    steps: number("steps"),
    guidance_scale: number("guidance_scale"),
    text_noise: number("text_noise"),
    quality: form.elements.quality.value || undefined,
  };
}

/** Fills the form with a job's settings (from the history) so it can be run again. */
export function fill(s) {
  const form = $("#generate-form");
  form.elements.prompt.value = s.prompt ?? "";
  for (const name of ["n", "seed", "steps", "guidance_scale", "text_noise"]) form.elements[name].value = s[name] ?? "";
}

async function submit(request) {
  if (!$("#previews").checked) return api("/v1/jobs", { method: "POST", json: request });
  try {
    return await api("/v1/jobs", { method: "POST", json: { ...request, partial_images: PREVIEWS } });
  } catch (e) {
    // A platform without live previews refuses the field: run without them.
    if (e instanceof ApiError && e.status === 400 && "partial_images" in e.errors) return api("/v1/jobs", { method: "POST", json: request });
    throw e;
  }
}

function status(text) { $("#job-status").textContent = text; }

function onEvent(name, data) {
  if (name === "preview") {
    const img = figure(`data:image/png;base64,${data.b64_json}`, `Preview ${data.partial_image_index + 1} of image ${data.index + 1}`,
      `Preview of image ${data.index + 1}, step ${data.step} of ${data.steps}`);
    $("#previews-out").replaceChildren(img);
    return;
  }
  const p = data.progress;
  const bar = $("#job-progress");
  bar.hidden = false;
  bar.value = p.fraction;
  const queue = data.queue_position != null ? `, position ${data.queue_position} in the queue` : "";
  if (name === "progress") status(`${data.status === "queued" ? "Queued" : "Running"}: step ${p.steps_done} of ${p.total_steps}${queue}`);
  if (name === "completed") { status(`Done: ${data.results.length} image(s)`); showImages(data); }
  if (name === "failed") { status("Failed"); showError(new Error(`The job failed: ${data.error ?? data.error_code}`)); }
  if (name === "cancelled") status("Cancelled");
}

function showImages(job) {
  const figures = job.results.filter((r) => r.url).map((r) => {
    const f = figure(r.url, `Generated image ${r.index + 1}: ${job.settings?.prompt ?? $("#prompt").value}`, `Seed ${r.seed}`, `flowtok-${job.id}-${r.index}.png`);
    f.append(el("button", { type: "button", text: "Caption this", onclick: async () => captionBlob(await (await fetch(r.url)).blob()) }));
    return f;
  });
  $("#images-out").replaceChildren(...figures); // the last preview stays beside the images it led to
}

export async function run(request = settings()) {
  showError(null);
  $("#images-out").replaceChildren();
  $("#previews-out").replaceChildren();
  $("#generate-button").disabled = true;
  const abort = new AbortController();
  try {
    const job = await submit(request);
    current = { id: job.id, abort };
    $("#cancel-button").disabled = false;
    status(`Submitted job ${job.id}`);
    await follow(`/v1/jobs/${job.id}/events`, onEvent, abort.signal);
  } catch (e) {
    if (e.name !== "AbortError") showError(e);
  } finally {
    current = null;
    $("#generate-button").disabled = false;
    $("#cancel-button").disabled = true;
  }
}

async function cancel() {
  if (!current) return;
  try {
    await api(`/v1/jobs/${current.id}`, { method: "DELETE" });
  } catch (e) {
    showError(e);
  }
}

export async function loadModels() {
  const list = await api("/v1/models");
  const select = $("#model");
  select.replaceChildren(...list.data.filter((m) => m.capabilities.includes("text-to-image"))
    .map((m) => el("option", { value: m.id, text: `${m.id} (${m.size})` })));
}

export function setUp() {
  $("#generate-form").addEventListener("submit", (e) => { e.preventDefault(); run(); });
  $("#cancel-button").addEventListener("click", cancel);
}
