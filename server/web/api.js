// api.js - the daemon's REST API from the page: JSON in and out, the lab
// token as "Authorization: Bearer" when one is saved, errors as exceptions
// carrying the server's {"error": {"code", "message"}}.

const TOKEN_KEY = 'mlpd-lab-token';

export function getToken() {
  try { return localStorage.getItem(TOKEN_KEY) || ''; } catch { return ''; }
}
export function setToken(t) {
  try {
    if (t) localStorage.setItem(TOKEN_KEY, t); else localStorage.removeItem(TOKEN_KEY);
  } catch { /* storage disabled: the token lives until the page closes */ }
}

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function headers(extra) {
  const h = { ...extra };
  const t = getToken();
  if (t) h.Authorization = `Bearer ${t}`;
  return h;
}

// One request. body: an object (sent as JSON), a string with contentType,
// or undefined. Returns {status, body} with the parsed JSON body.
// timeoutMs > 0 aborts a request that takes longer (the browser then
// drops that connection, and the next request takes another one).
export async function api(method, path, body, contentType = 'application/json', timeoutMs = 0) {
  const opts = { method, headers: headers({ Accept: 'application/json' }) };
  if (timeoutMs > 0) opts.signal = AbortSignal.timeout(timeoutMs);
  if (body !== undefined) {
    opts.headers['Content-Type'] = contentType;
    opts.body = typeof body === 'string' ? body : JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, opts);
  } catch (e) {
    throw new ApiError(0, 'network', `The server did not answer (${e.message}).`);
  }
  const text = await res.text();
  let json = null;
  if (text) {
    try { json = JSON.parse(text); } catch { json = null; }
  }
  if (!res.ok) {
    const err = json && json.error ? json.error : {};
    throw new ApiError(res.status, err.code || 'http_' + res.status,
      err.message || `${method} ${path} answered ${res.status}.`);
  }
  return { status: res.status, body: json };
}

const FINISHED = new Set(['succeeded', 'failed', 'cancelled', 'interrupted', 'timeout']);
export const jobFinished = (job) => FINISHED.has(job.status);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Follow a job to its end. on.epoch({epoch, loss, val_loss}) per epoch,
// on.state(job) on every news of the job, on.tick(job) after each poll. Uses the job's server-sent
// events (GET /v1/jobs/{id}/events) when the server has them, else polls
// GET /v1/jobs/{id} and the model's history. Resolves with the final job
// and how it was followed ('events' or 'polling').
export async function followJob(job, on) {
  const viaEvents = await followEvents(job.id, on);
  if (viaEvents && jobFinished(viaEvents)) return { job: viaEvents, via: 'events' };
  // No events endpoint (404), or the stream broke off: poll to the end.
  const last = await pollJob(viaEvents || job, on);
  return { job: last, via: viaEvents ? 'events, then polling' : 'polling' };
}

// EventSource cannot send an Authorization header; with a token the page
// polls instead (the events endpoint then answers 401 anyway).
function followEvents(jobId, on) {
  if (typeof EventSource === 'undefined' || getToken()) return Promise.resolve(null);
  return new Promise((resolve) => {
    const es = new EventSource(`/v1/jobs/${encodeURIComponent(jobId)}/events`);
    let heard = false;
    let last = null;
    const done = (value) => { es.close(); resolve(value); };
    es.addEventListener('state', (ev) => {
      heard = true;
      last = JSON.parse(ev.data);
      on.state(last);
    });
    es.addEventListener('epoch', (ev) => {
      heard = true;
      on.epoch(JSON.parse(ev.data));
    });
    es.addEventListener('end', (ev) => {
      last = JSON.parse(ev.data);
      on.state(last);
      done(last);
    });
    es.onerror = () => {
      // CLOSED: the server refused the stream (404 on a server without
      // events): poll. CONNECTING after some events: the browser retries.
      if (es.readyState === EventSource.CLOSED || !heard) done(heard ? last : null);
    };
  });
}

async function pollJob(job, on) {
  let delay = 250;
  while (!jobFinished(job)) {
    await sleep(delay);
    delay = Math.min(delay * 1.5, 1000);
    job = (await api('GET', `/v1/jobs/${encodeURIComponent(job.id)}`)).body;
    on.state(job);
    if (on.tick) await on.tick(job);
  }
  return job;
}

// The epochs of one job, oldest first.
export async function jobHistory(modelId, jobId) {
  const h = (await api('GET', `/v1/models/${modelId}/history`)).body.history || [];
  return h.filter((e) => e.job_id === jobId);
}
