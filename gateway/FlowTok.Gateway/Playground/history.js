// History: the tenant's recent jobs (GET /v1/jobs, newest first, paginated), each with its settings, images to download,
// and "Run again".
import { api } from "./api.js";
import { $, el, figure, showError } from "./ui.js";
import { fill, run } from "./generate.js";
import { show } from "./views.js";

let lastId = null;

function describe(s) {
  if (!s) return "";
  const parts = [`n ${s.n}`, `seed ${s.seed}`, `steps ${s.steps}`, `guidance ${s.guidance_scale}`];
  if (s.text_noise != null) parts.push(`text noise ${s.text_noise}`);
  return parts.join(", ");
}

function item(job) {
  const created = new Date(job.created_at * 1000).toLocaleString();
  const title = job.type === "caption" ? "Caption job" : job.settings?.prompt ?? "Generation job";
  const images = job.results.filter((r) => r.url).map((r) =>
    figure(r.url, `Image ${r.index + 1} of ${title}`, null, `flowtok-${job.id}-${r.index}.png`));
  const captions = job.results.filter((r) => r.caption).map((r) => el("p", { text: `Caption: ${r.caption}` }));
  const li = el("li", {},
    el("h3", { text: title }),
    el("p", { class: "hint", text: `${job.status} · ${created} · ${describe(job.settings)}` }),
    el("div", { class: "images" }, ...images), ...captions);
  if (job.type === "generation" && job.settings) {
    li.append(el("button", {
      type: "button", text: "Run again", "aria-label": `Run again: ${title}`,
      onclick: () => { fill(job.settings); show("generate"); run({ type: "generation", ...job.settings }); },
    }));
  }
  return li;
}

async function load(more = false) {
  showError(null);
  try {
    const page = await api(`/v1/jobs?limit=10${more && lastId ? `&after=${encodeURIComponent(lastId)}` : ""}`);
    const items = page.data.map(item);
    if (more) $("#history-list").append(...items);
    else $("#history-list").replaceChildren(...items);
    if (!more && items.length === 0) $("#history-list").append(el("li", { text: "No jobs yet." }));
    lastId = page.last_id ?? lastId;
    $("#history-more").hidden = !page.has_more;
  } catch (e) {
    showError(e);
  }
}

export function setUp() {
  $("#history-refresh").addEventListener("click", () => load());
  $("#history-more").addEventListener("click", () => load(true));
}

export { load };
