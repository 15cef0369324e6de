// Caption: an image dropped or picked (or a generated one) sent to POST /v1/images/captions as multipart.
import { api } from "./api.js";
import { $, showError } from "./ui.js";
import { show } from "./views.js";

export async function captionBlob(blob) {
  show("caption");
  showError(null);
  const image = $("#caption-image");
  image.src = URL.createObjectURL(blob);
  image.hidden = false;
  $("#caption-out").textContent = "Captioning…";
  const form = new FormData();
  form.append("image", blob, blob.name ?? "image.png");
  try {
    const answer = await api("/v1/images/captions", { method: "POST", form });
    $("#caption-out").textContent = `Caption: ${answer.caption}`;
  } catch (e) {
    $("#caption-out").textContent = "";
    showError(e);
  }
}

export function setUp() {
  const input = $("#caption-file");
  const zone = $("#drop-zone");
  $("#caption-form").addEventListener("submit", (e) => {
    e.preventDefault();
    if (input.files[0]) captionBlob(input.files[0]);
    else showError(new Error("Choose an image to caption first"));
  });
  zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    if (e.dataTransfer.files[0]) captionBlob(e.dataTransfer.files[0]);
  });
}
