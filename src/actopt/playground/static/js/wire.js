// The WebSocket to the server: JSON text for control messages, binary frames for pictures.
// A binary message is [u32 header length][JSON header][arrays, 8-byte aligned]; the header's
// `arrays` lists [name, dtype, shape, offset] and comes back here as typed-array views.

const TYPES = { float32: Float32Array, int8: Int8Array, uint8: Uint8Array, int32: Int32Array };
const PING_MS = 20000; // the server drops a session whose page says nothing for a while

export function decode(buffer) {
  const n = new DataView(buffer).getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 4, n)));
  const base = 4 + n;
  const arrays = {};
  for (const [name, dtype, shape, offset] of header.arrays) {
    const count = shape.reduce((a, b) => a * b, 1);
    arrays[name] = new TYPES[dtype](buffer, base + offset, count);
  }
  header.arrays = arrays;
  return header;
}

export class Wire {
  constructor({ onMessage, onClose }) {
    this.onMessage = onMessage;
    this.onClose = onClose;
    this.nextId = 1;
    this.ws = null;
    this.closingReason = null;
  }

  connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${location.host}/ws`);
    ws.binaryType = "arraybuffer";
    ws.onmessage = (ev) => {
      const msg = typeof ev.data === "string" ? JSON.parse(ev.data) : decode(ev.data);
      if (msg.type === "closing") this.closingReason = msg.reason;
      this.onMessage(msg);
    };
    ws.onclose = (ev) => {
      clearInterval(this.pinger);
      this.onClose(this.closingReason || ev.reason || "the connection to the server closed");
    };
    this.pinger = setInterval(() => {
      if (document.visibilityState === "visible") this.send({ type: "ping" });
    }, PING_MS);
    this.ws = ws;
    return new Promise((resolve) => ws.addEventListener("open", resolve, { once: true }));
  }

  send(message) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return null;
    const id = this.nextId++;
    this.ws.send(JSON.stringify({ ...message, id }));
    return id;
  }
}
