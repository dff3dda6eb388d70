// The AutBot page: collections, documents, uploads, questions. Plain ES modules, no build step.
// Text from the server is only ever set as textContent, never parsed as HTML.
import { ApiError, apiKey, call, describe, followJob, jobEnded, stream, upload } from "./api.js";
import { completeSignIn, signIn, signInConfig } from "./sso.js";

const $ = (selector) => document.querySelector(selector);
const PAGE_SIZE = 20;
const PARALLEL_UPLOADS = 3;
const state = { collection: "", offset: 0, total: 0, asking: null, sessions: false };

function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
const path = (...parts) => `/v1/collections/${parts.map(encodeURIComponent).join("/")}`;

// --- notices -----------------------------------------------------------------------------------------

function notify(message) {
  const notice = $("#notice");
  notice.hidden = !message;
  notice.textContent = message ?? "";
}

function fail(error) {
  notify(describe(error));
  if (error instanceof ApiError && error.status === 401) $("#api-key").focus();
}

// --- the API key -------------------------------------------------------------------------------------

function showKeyState() {
  const key = apiKey.get();
  const signedIn = key.split(".").length === 3; // a provider's token, not an abk_ key
  $("#key-state").textContent = !key ? "No key." : signedIn ? "Signed in for this tab." : "A key is in use for this tab.";
}

$("#key-form").addEventListener("submit", (e) => {
  e.preventDefault();
  apiKey.set($("#api-key").value.trim());
  $("#api-key").value = "";
  showKeyState();
  notify("");
  refresh();
});

$("#forget-key").addEventListener("click", () => {
  apiKey.set("");
  showKeyState();
});

// --- collections -------------------------------------------------------------------------------------

async function loadCollections() {
  const { collections } = await call("GET", "/v1/collections");
  $("#collection-names").replaceChildren(...collections.map((c) => el("option", { value: c.name })));
  $("#collections").replaceChildren(
    ...collections.map((c) => {
      const button = el("button", { type: "button", className: "pill" }, c.name);
      button.append(el("span", { className: "muted" }, plural(c.documents, "document")));
      button.setAttribute("aria-pressed", String(c.name === state.collection));
      button.addEventListener("click", () => openCollection(c.name));
      return el("li", {}, button);
    }),
  );
}

$("#collection-form").addEventListener("submit", (e) => {
  e.preventDefault();
  openCollection($("#collection").value.trim());
});

function openCollection(name) {
  state.collection = name;
  state.offset = 0;
  $("#collection").value = name;
  for (const span of document.querySelectorAll(".current")) span.textContent = name;
  for (const b of document.querySelectorAll("#collections .pill")) {
    b.setAttribute("aria-pressed", String(b.firstChild.textContent === name));
  }
  $("#workspace").hidden = false;
  notify("");
  loadDocuments().catch(fail);
  loadSessions().catch(() => {});
  loadJobs().catch(() => {});
}

// --- documents ---------------------------------------------------------------------------------------

async function loadDocuments() {
  let page;
  try {
    page = await call("GET", `${path(state.collection, "documents")}?offset=${state.offset}&limit=${PAGE_SIZE}`);
  } catch (error) {
    if (!(error instanceof ApiError && error.code === "collection_not_found")) throw error;
    page = { documents: [], total: 0, offset: 0 };
  }
  if (page.documents.length === 0 && state.offset > 0) {
    state.offset = Math.max(0, state.offset - PAGE_SIZE);
    return loadDocuments();
  }
  state.total = page.total;
  $("#documents tbody").replaceChildren(...page.documents.map(documentRow));
  $("#documents-empty").hidden = page.total > 0;
  const first = page.total ? state.offset + 1 : 0;
  const last = state.offset + page.documents.length;
  $("#page-state").textContent = `${first}–${last} of ${page.total}`;
  $("#prev-page").disabled = state.offset === 0;
  $("#next-page").disabled = last >= page.total;
}

function documentRow(doc) {
  const title = doc.title || doc.id;
  const remove = el("button", { type: "button", className: "quiet danger" }, "Delete");
  remove.setAttribute("aria-label", `Delete ${title}`);
  remove.addEventListener("click", () => deleteDocument(doc.id, title));
  const updated = new Date(doc.updated_at * 1000);
  const time = el("time", { dateTime: updated.toISOString() }, updated.toLocaleString());
  return el(
    "tr",
    {},
    el("td", {}, el("span", { className: "title" }, title), el("span", { className: "muted block" }, doc.id)),
    el("td", { className: "source" }, doc.source ?? ""),
    el("td", { className: "num" }, String(doc.chunks)),
    el("td", {}, time),
    el("td", {}, remove),
  );
}

async function deleteDocument(id, title) {
  if (!window.confirm(`Delete “${title}” from ${state.collection}?`)) return;
  try {
    await call("DELETE", path(state.collection, "documents", id));
    notify("");
    await Promise.all([loadDocuments(), loadCollections()]);
  } catch (error) {
    fail(error);
  }
}

$("#prev-page").addEventListener("click", () => {
  state.offset = Math.max(0, state.offset - PAGE_SIZE);
  loadDocuments().catch(fail);
});
$("#next-page").addEventListener("click", () => {
  state.offset += PAGE_SIZE;
  loadDocuments().catch(fail);
});

// --- uploads -----------------------------------------------------------------------------------------

function uploadAll(files) {
  if (!state.collection || files.length === 0) return;
  const queue = [...files].map(uploadRow);
  const worker = async () => {
    for (let job = queue.shift(); job; job = queue.shift()) await job();
  };
  Promise.all(Array.from({ length: PARALLEL_UPLOADS }, worker)).then(() =>
    Promise.all([loadDocuments(), loadCollections(), loadJobs()]).catch(fail),
  );
}

function uploadRow(file) {
  const bar = el("progress", { max: 1, value: 0 });
  bar.setAttribute("aria-label", `Uploading ${file.name}`);
  const outcome = el("span", { className: "outcome muted" }, "waiting");
  $("#uploads").prepend(el("li", {}, el("span", { className: "file" }, file.name), bar, outcome));
  const collection = state.collection;
  const groups = $("#upload-groups").value.split(",").map((g) => g.trim()).filter(Boolean);
  return async () => {
    outcome.textContent = "uploading";
    try {
      const job = await upload(collection, file, (share) => (bar.value = share / 2), groups);
      loadJobs().catch(() => {});
      const done = await followJob(job.id, (j) => {
        bar.value = 0.5 + (j.counts.total ? j.counts.done / j.counts.total : 0) / 2;
        const eta = j.eta_s == null ? "" : `, ${Math.ceil(j.eta_s)} s left`;
        outcome.textContent = j.state === "running" ? `ingesting${eta}` : j.state;
      });
      bar.value = 1;
      const failure = done.failures?.[0];
      const ok = done.state === "succeeded" && !failure;
      outcome.className = ok ? "outcome ok" : "outcome bad";
      outcome.textContent = ok ? jobOutcome(done, file.name) : failureText(done, failure);
    } catch (error) {
      outcome.className = "outcome bad";
      outcome.textContent = error instanceof ApiError ? `${error.title} ${error.detail}` : describe(error);
    }
  };
}

function jobOutcome(job, name) {
  const c = job.counts;
  const status = c.created ? "created" : c.updated ? "updated" : "unchanged";
  return status === "unchanged" ? `unchanged (${name})` : `${status} (${name}, ${plural(c.chunks, "chunk")})`;
}

function failureText(job, failure) {
  if (failure) return `${failure.code}: ${failure.message}`;
  return job.error ? `${job.state}: ${job.error}` : job.state;
}

// --- the collection's jobs ---------------------------------------------------------------------------

async function loadJobs() {
  let jobs = [];
  try {
    ({ jobs } = await call("GET", `/v1/jobs?collection=${encodeURIComponent(state.collection)}&limit=10`));
  } catch {
    jobs = []; // a key without the ingest scope sees no jobs
  }
  $("#jobs").replaceChildren(
    ...jobs.map((j) => {
      const li = el(
        "li",
        {},
        el("span", { className: "file" }, j.id),
        el("span", { className: "muted" }, ` ${j.state}, ${j.counts.done}/${j.counts.total} documents`),
      );
      if (!jobEnded(j)) {
        const cancel = el("button", { type: "button", className: "quiet danger" }, "Cancel");
        cancel.addEventListener("click", () =>
          call("DELETE", `/v1/jobs/${encodeURIComponent(j.id)}`).then(loadJobs).catch(fail),
        );
        li.append(" ", cancel);
      }
      return li;
    }),
  );
  $("#jobs-card").hidden = jobs.length === 0;
}

$("#files").addEventListener("change", (e) => {
  uploadAll(e.target.files);
  e.target.value = "";
});

const drop = $("#drop");
for (const type of ["dragenter", "dragover"]) {
  drop.addEventListener(type, (e) => {
    e.preventDefault();
    drop.classList.add("over");
  });
}
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => {
  e.preventDefault();
  drop.classList.remove("over");
  uploadAll(e.dataTransfer.files);
});

// --- questions ---------------------------------------------------------------------------------------

function citationChip(citation, detail) {
  const chip = el("button", { type: "button", className: "chip" }, String(citation.n));
  chip.setAttribute("aria-label", `Source ${citation.n}: ${citation.metadata?.title ?? citation.document_id}`);
  chip.setAttribute("aria-pressed", "false");
  chip.addEventListener("click", () => {
    for (const other of chip.parentElement.children) other.setAttribute("aria-pressed", "false");
    chip.setAttribute("aria-pressed", "true");
    detail.hidden = false;
    detail.replaceChildren(
      el("p", { className: "meta" }, `[${citation.n}] ${citation.metadata?.title ?? citation.document_id}`,
        el("span", { className: "muted" }, ` · ${citation.document_id} · score ${citation.score.toFixed(3)}`)),
      el("blockquote", {}, citation.text),
    );
    detail.focus();
  });
  return chip;
}

function resetAnswer() {
  $("#answer").textContent = "";
  $("#chips").replaceChildren();
  $("#citation").hidden = true;
  $("#results").hidden = true;
  $("#answer-box").hidden = true;
}

async function search(query) {
  const { results } = await call("POST", path(state.collection, "search"), { query });
  const list = $("#results");
  list.replaceChildren(
    ...results.map((r) =>
      el("li", {},
        el("p", { className: "meta" }, r.metadata?.title ?? r.document_id,
          el("span", { className: "score" }, ` score ${r.score.toFixed(3)}`)),
        el("p", { className: "snippet" }, r.text)),
    ),
  );
  if (results.length === 0) list.append(el("li", { className: "muted" }, "Nothing found."));
  list.hidden = false;
  $("#ask-state").textContent = `${results.length} chunks.`;
}

async function answer(question, signal) {
  const box = $("#answer");
  $("#answer-box").hidden = false;
  box.setAttribute("aria-busy", "true");
  const session = $("#session").value;
  const target = session ? `/v1/sessions/${encodeURIComponent(session)}/messages` : path(state.collection, "query");
  try {
    await stream(target, { question, stream: true }, signal, (event, data) => {
      if (event === "citations") {
        $("#chips").replaceChildren(...data.citations.map((c) => citationChip(c, $("#citation"))));
      } else if (event === "token") {
        box.append(data.text); // one text node per token, as it arrives
      } else if (event === "done") {
        $("#ask-state").textContent = `Done: ${data.usage.completion_tokens} tokens from ${data.model}.`;
      } else if (event === "error") {
        throw new ApiError(data.status ?? 500, data, null);
      }
    });
  } finally {
    box.setAttribute("aria-busy", "false");
    if (session) showSession(session).catch(() => {});
  }
}

$("#ask-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const question = $("#question").value.trim();
  if (!question || state.asking) return;
  const mode = new FormData(e.target).get("mode");
  resetAnswer();
  notify("");
  const controller = new AbortController();
  state.asking = controller;
  $("#ask").disabled = true;
  $("#stop").disabled = mode !== "answer";
  $("#ask-state").textContent = mode === "answer" ? "Answering…" : "Searching…";
  try {
    await (mode === "answer" ? answer(question, controller.signal) : search(question));
  } catch (error) {
    $("#ask-state").textContent = error?.name === "AbortError" ? "Stopped." : "";
    if (error?.name !== "AbortError") fail(error);
  } finally {
    state.asking = null;
    $("#ask").disabled = false;
    $("#stop").disabled = true;
  }
});

$("#stop").addEventListener("click", () => state.asking?.abort());

$("#question").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey) {
    e.preventDefault();
    $("#ask-form").requestSubmit();
  }
});

// --- conversations (when the server has /v1/sessions) -----------------------------------------------------

async function loadSessions() {
  let found;
  try {
    found = await call("GET", "/v1/sessions");
  } catch (error) {
    state.sessions = !(error instanceof ApiError && [404, 405].includes(error.status)) && state.sessions;
    $("#conversation-row").hidden = !state.sessions;
    return;
  }
  state.sessions = true;
  $("#conversation-row").hidden = false;
  const mine = found.data.filter((s) => s.collection === state.collection);
  const chosen = $("#session").value;
  $("#session").replaceChildren(
    el("option", { value: "" }, "None (a single question)"),
    ...mine.map((s) => el("option", { value: s.id, selected: s.id === chosen }, s.title || `Conversation ${s.id.slice(-6)}`)),
  );
}

async function showSession(id) {
  const list = $("#conversation");
  if (!id) {
    list.hidden = true;
    return;
  }
  const session = await call("GET", `/v1/sessions/${encodeURIComponent(id)}`);
  list.replaceChildren(
    ...session.messages.map((m) => el("li", { className: m.role }, el("span", { className: "role" }, m.role), m.content)),
  );
  list.hidden = session.messages.length === 0;
}

$("#session").addEventListener("change", (e) => {
  resetAnswer();
  showSession(e.target.value).catch(fail);
});

$("#new-session").addEventListener("click", async () => {
  // Ask waits until the conversation exists and is chosen: a question asked meanwhile would go nowhere.
  $("#ask").disabled = true;
  $("#new-session").disabled = true;
  try {
    const created = await call("POST", "/v1/sessions", { collection: state.collection });
    await loadSessions();
    $("#session").value = created.id;
    await showSession(created.id);
  } catch (error) {
    fail(error);
  } finally {
    $("#ask").disabled = false;
    $("#new-session").disabled = false;
  }
});

// --- start -------------------------------------------------------------------------------------------

function refresh() {
  loadCollections()
    .then(() => state.collection && openCollection(state.collection))
    .catch(fail);
}

// signing in through an OIDC provider, where the server names one
async function start() {
  const config = await signInConfig().catch(() => null);
  if (config) {
    $("#sign-in").hidden = false;
    $("#sign-in").addEventListener("click", () => signIn(config).catch(fail));
    try {
      const token = await completeSignIn(config);
      if (token) apiKey.set(token);
    } catch (error) {
      notify(error.message);
    }
  }
  showKeyState();
  refresh();
}

start();
