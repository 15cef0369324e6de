// The playground's entry point: sign-in with an API key (kept in localStorage), then the four views.
import { apiKey } from "./api.js";
import { $, showError } from "./ui.js";
import { show, onShow } from "./views.js";
import * as generate from "./generate.js";
import * as caption from "./caption.js";
import * as history from "./history.js";
import * as operator from "./operator.js";

async function signIn(key) {
  apiKey.set(key);
  try {
    await generate.loadModels(); // the first authenticated call tells whether the key is good
    $("#signin-status").textContent = "Signed in.";
    $("#signout").hidden = false;
    showError(null);
  } catch (e) {
    $("#signin-status").textContent = "Not signed in.";
    showError(e);
  }
}

$("#signin-form").addEventListener("submit", (e) => {
  e.preventDefault();
  signIn($("#api-key").value.trim());
});
$("#signout").addEventListener("click", () => {
  apiKey.clear();
  $("#api-key").value = "";
  $("#signout").hidden = true;
  $("#signin-status").textContent = "Signed out.";
});
for (const button of document.querySelectorAll("nav [data-view]")) button.addEventListener("click", () => show(button.dataset.view));

generate.setUp();
caption.setUp();
history.setUp();
operator.setUp();
onShow("history", () => history.load());
onShow("operator", () => operator.load());

const saved = apiKey.get();
if (saved) { $("#api-key").value = saved; signIn(saved); }
