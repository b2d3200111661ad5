// The page's state in the URL hash: #s=<base64url of JSON {c: config, t: tab, l: landscape}>,
// so a link restores the configuration it was copied from.

function toBase64Url(text) {
  const bytes = new TextEncoder().encode(text);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text) {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const bin = atob(b64 + "===".slice((b64.length + 3) % 4));
  return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}

export function writeHash(state) {
  const hash = `#s=${toBase64Url(JSON.stringify(state))}`;
  if (location.hash !== hash) history.replaceState(null, "", hash);
}

export function readHash() {
  const m = location.hash.match(/^#s=([A-Za-z0-9_-]+)$/);
  if (!m) return null;
  try {
    return JSON.parse(fromBase64Url(m[1]));
  } catch {
    return null;
  }
}

export function clone(value) {
  return JSON.parse(JSON.stringify(value));
}

// "a=1, b=true, approximate=tanh" → {a: 1, b: true, approximate: "tanh"} (parsed, never evaluated)
export function parseParams(text) {
  const out = {};
  for (const part of text.split(",")) {
    if (!part.trim()) continue;
    const [k, v] = part.split("=").map((s) => (s || "").trim());
    if (!k || v === "") throw new Error(`expected name=value, got "${part.trim()}"`);
    if (v === "true" || v === "false") out[k] = v === "true";
    else if (v !== "" && !Number.isNaN(Number(v))) out[k] = Number(v);
    else out[k] = v;
  }
  return out;
}

export function formatParams(params) {
  return Object.entries(params || {}).map(([k, v]) => `${k}=${v}`).join(", ");
}
