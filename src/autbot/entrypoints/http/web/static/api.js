// Talking to AutBot: the API key, JSON calls, uploads with progress, server-sent events, problem bodies.
// Every request goes to this page's own origin (relative URLs only).

const KEY = "autbot.api-key";

export const apiKey = {
  get: () => sessionStorage.getItem(KEY) ?? "",
  set: (value) => (value ? sessionStorage.setItem(KEY, value) : sessionStorage.removeItem(KEY)),
};

function headers(extra = {}) {
  const key = apiKey.get();
  return key ? { ...extra, Authorization: `Bearer ${key}` } : extra;
}

/** A failed request: an RFC 9457 problem (or the OpenAI-style envelope of /v1/sessions). */
export class ApiError extends Error {
  constructor(status, body, retryAfter) {
    const error = body?.error; // OpenAI envelope: {"error": {"message", "type", "code"}}
    const title = body?.title ?? (error ? error.type : `HTTP ${status}`);
    const detail = body?.detail ?? error?.message ?? "";
    super(detail || title);
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.code = body?.code ?? error?.code ?? "";
    this.retryAfter = retryAfter;
  }
}

function parseBody(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

async function failure(response) {
  return new ApiError(response.status, parseBody(await response.text()), response.headers.get("Retry-After"));
}

const LEADS = {
  401: "Your API key is missing or was refused: enter a valid key above.",
  403: "Your API key is not allowed to do that.",
  429: "Too many requests: slow down.",
  503: "AutBot cannot do that right now.",
};

/** A sentence for people: what happened, the server's detail, when to retry. */
export function describe(error) {
  if (error?.name === "AbortError") return "Stopped.";
  if (!(error instanceof ApiError)) return `Could not reach AutBot (${error?.message ?? error}).`;
  const lead = LEADS[error.status] ?? error.title;
  const said = LEADS[error.status] ? error.detail || error.title : error.detail; // the server's own words
  const detail = said && said !== lead ? ` ${said}` : "";
  const retry = error.retryAfter ? ` Try again in ${error.retryAfter} s.` : "";
  return `${lead}${detail}${retry}`;
}

/** A JSON call: resolves to the decoded body (null for 204), rejects with an ApiError. */
export async function call(method, path, json) {
  const init = { method, headers: headers(), cache: "no-store" };
  if (json !== undefined) {
    init.headers = headers({ "Content-Type": "application/json" });
    init.body = JSON.stringify(json);
  }
  const response = await fetch(path, init);
  if (!response.ok) throw await failure(response);
  return response.status === 204 ? null : response.json();
}

/** One file as an ingestion job (multipart/form-data), reporting upload progress (0..1); resolves to the
 * queued job (``followJob`` follows it). ``groups``, when not empty, is the document's access list. */
export function upload(collection, file, onProgress, groups = []) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/v1/collections/${encodeURIComponent(collection)}/jobs`);
    for (const [name, value] of Object.entries(headers())) xhr.setRequestHeader(name, value);
    xhr.upload.addEventListener("progress", (e) => e.lengthComputable && onProgress(e.loaded / e.total));
    xhr.addEventListener("load", () => {
      const body = parseBody(xhr.responseText);
      if (xhr.status >= 200 && xhr.status < 300) resolve(body);
      else reject(new ApiError(xhr.status, body, xhr.getResponseHeader("Retry-After")));
    });
    xhr.addEventListener("error", () => reject(new Error("the connection failed")));
    const form = new FormData();
    form.append("files", file, file.name);
    if (groups.length) form.append("access", JSON.stringify({ groups }));
    xhr.send(form);
  });
}

const ENDED = new Set(["succeeded", "failed", "cancelled"]);

/** Poll a job until it ends, calling ``onJob`` with each state; resolves to the last (with its first failures). */
export async function followJob(id, onJob) {
  for (;;) {
    const job = await call("GET", `/v1/jobs/${encodeURIComponent(id)}?failures_limit=5`);
    onJob(job);
    if (ENDED.has(job.state)) return job;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

export const jobEnded = (job) => ENDED.has(job.state);

/** POST a JSON body and read the answer as server-sent events: ``onEvent(name, data)`` per event.
 * ``signal`` (an AbortController's) closes the stream; the server then stops generating. */
export async function stream(path, json, signal, onEvent) {
  const response = await fetch(path, {
    method: "POST",
    headers: headers({ "Content-Type": "application/json", Accept: "text/event-stream" }),
    body: JSON.stringify(json),
    cache: "no-store",
    signal,
  });
  if (!response.ok) throw await failure(response);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value.replace(/\r\n?/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      dispatch(block, onEvent);
    }
  }
  if (buffer.trim()) dispatch(buffer, onEvent);
}

function dispatch(block, onEvent) {
  let event = "message";
  const data = [];
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
  }
  if (data.length) onEvent(event, parseBody(data.join("\n")));
}
