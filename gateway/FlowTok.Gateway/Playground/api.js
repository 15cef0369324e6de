// The platform's HTTP API as the page uses it: the key from localStorage, problem+json turned into an Error with words.
const KEY = "flowtok.apiKey";

export const apiKey = {
  get: () => localStorage.getItem(KEY),
  set: (key) => localStorage.setItem(KEY, key),
  clear: () => localStorage.removeItem(KEY),
};

/** An API failure: `title` and `detail` from the problem (or OpenAI error) body. */
export class ApiError extends Error {
  constructor(status, title, detail, errors) {
    super(detail ? `${title}: ${detail}` : title);
    this.status = status;
    this.errors = errors ?? {};
  }
}

async function toError(response) {
  let body = {};
  try { body = await response.json(); } catch { /* not JSON: the status says enough */ }
  const openAi = body.error ?? {};
  const title = body.title ?? openAi.type ?? `HTTP ${response.status}`;
  const fields = Object.entries(body.errors ?? {}).map(([field, messages]) => `${field}: ${[].concat(messages).join(", ")}`);
  const detail = [body.detail ?? openAi.message, ...fields].filter(Boolean).join("; ");
  return new ApiError(response.status, title, detail, body.errors);
}

/** fetch with the API key; JSON in and out; throws ApiError on any non-2xx answer. */
export async function api(path, { method = "GET", json, form, signal, raw = false } = {}) {
  const headers = { Authorization: `Bearer ${apiKey.get() ?? ""}` };
  let body;
  if (json !== undefined) { headers["Content-Type"] = "application/json"; body = JSON.stringify(json); }
  if (form !== undefined) body = form;
  const response = await fetch(path, { method, headers, body, signal });
  if (!response.ok) throw await toError(response);
  return raw ? response : response.json();
}

/** Follows a Server-Sent Events stream (fetch, since EventSource cannot send the key), calling onEvent(name, data). */
export async function follow(path, onEvent, signal) {
  const response = await api(path, { signal, raw: true });
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) name = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).trim());
      }
      if (data.length) onEvent(name, JSON.parse(data.join("\n")));
    }
  }
}
