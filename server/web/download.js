// download.js - the model as ONNX bytes (GET /v1/models/{id}/export?format=onnx),
// fetched with the lab token, and saving bytes as a file. Shared by the lab
// page's "Download ONNX" and the ONNX demo page.
import { ApiError, getToken } from './api.js';

// {bytes (Uint8Array), name (the server's file name)} of the export.
export async function fetchOnnx(modelId, dtype = 'float32') {
  const headers = {};
  const t = getToken();
  if (t) headers.Authorization = `Bearer ${t}`;
  const path = `/v1/models/${encodeURIComponent(modelId)}/export?format=onnx&dtype=${encodeURIComponent(dtype)}`;
  let res;
  try {
    res = await fetch(path, { headers });
  } catch (e) {
    throw new ApiError(0, 'network', `The server did not answer (${e.message}).`);
  }
  if (!res.ok) {
    let err = {};
    try { err = (await res.json()).error || {}; } catch { /* not JSON */ }
    throw new ApiError(res.status, err.code || `http_${res.status}`, err.message || `The export answered ${res.status}.`);
  }
  const m = /filename="([^"]+)"/.exec(res.headers.get('Content-Disposition') || '');
  return { bytes: new Uint8Array(await res.arrayBuffer()), name: m ? m[1] : `mlpd-${modelId}.onnx` };
}

// Offer bytes to the user as a download named name.
export function saveBytes(bytes, name, type = 'application/octet-stream') {
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
