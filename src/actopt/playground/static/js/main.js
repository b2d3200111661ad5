// The playground page: connects to the server, builds the panels from what the server offers
// (every activation, optimizer, data set and limit comes from it), and routes its messages.

import { DataPanel } from "./data_panel.js";
import { $, el, fmt } from "./dom.js";
import { LandscapeTab } from "./landscape.js";
import { ModelPanel } from "./model_panel.js";
import { clone, readHash, writeHash } from "./state.js";
import { Wire } from "./wire.js";

class App {
  constructor() {
    this.wire = new Wire({ onMessage: (m) => this.onMessage(m), onClose: (r) => this.onClose(r) });
    this.panels = {};
    this.pendingPlots = new Map(); // request id → resolve
    this.plotCache = new Map(); // "act|params" → promise
    this.tab = "network";
    this.playing = false;
    this.data = new DataPanel(this, $("#data-panel"));
    this.landscape = new LandscapeTab(this, $("#landscape-tab"));
  }

  async start() {
    this.wireHeader();
    await this.wire.connect();
  }

  send(message) {
    return this.wire.send(message);
  }

  datasetInfo(name) {
    return this.hello.datasets.find((d) => d.name === name);
  }

  // change the configuration: fn edits a copy, the server checks it and answers with the
  // canonical one (or an error shown next to the control; the running model keeps going)
  update(fn) {
    // build on the last change sent, so two quick edits do not undo each other
    const c = clone(this.pendingConfig || this.config);
    fn(c);
    this.pendingConfig = c;
    this.pendingId = this.send({ type: "config", config: c });
  }

  requestPlot(act, params) {
    const key = `${act}|${JSON.stringify(params || {})}`;
    if (!this.plotCache.has(key)) {
      this.plotCache.set(key, new Promise((resolve) => {
        const id = this.send({ type: "plot", act, params: params || {} });
        this.pendingPlots.set(id, resolve);
      }));
    }
    return this.plotCache.get(key);
  }

  onMessage(m) {
    const handler = {
      hello: () => this.onHello(m),
      structure: () => this.onStructure(m),
      frame: () => this.onFrame(m),
      config: () => this.onConfig(m),
      status: () => this.setPlaying(m.playing, m.reason),
      error: () => this.onError(m),
      plot: () => { this.pendingPlots.get(m.id)?.(m); this.pendingPlots.delete(m.id); },
      command: () => this.showCommands(m.commands),
      saving: () => this.toast(`training run ${m.run_id} with actopt's engine…`),
      saved: () => this.toast(`saved run ${m.run_id} (${m.status}, test loss ${fmt(m.test_loss)}) to ${m.path}` + (m.note ? `: ${m.note}` : "") + ` · see it with: actopt report ${this.hello.store}`),
      landscape: () => this.landscape.onResult(m),
      closing: () => {},
    }[m.type];
    if (handler) handler();
  }

  onHello(m) {
    this.hello = m;
    this.data.build(m);
    this.landscape.build(m);
    const saved = readHash();
    if (saved && saved.t) this.showTab(saved.t);
    if (saved && saved.l) this.landscape.restore(saved.l);
    if (saved && saved.c) this.send({ type: "config", config: saved.c });
    this.landscape.request();
  }

  onStructure(m) {
    this.structure = m;
    this.config = m.config;
    const root = $("#models");
    const keys = Object.keys(m.runs);
    root.replaceChildren();
    this.panels = {};
    for (const key of keys) {
      const section = el("section.model", { "data-model": key });
      root.append(section);
      this.panels[key] = new ModelPanel(this, key, section);
      this.panels[key].build(m, m.config[key]);
    }
    this.renderConfig();
  }

  onFrame(m) {
    if (!this.structure || m.version !== this.structure.version) return; // an older model's
    this.lastFrame = m;
    const keys = Object.keys(m.runs);
    keys.forEach((key) => {
      const other = keys.find((k) => k !== key);
      this.panels[key]?.update(m.runs[key], m.arrays, this.data.view, other ? this.panels[other].output : null);
    });
    const a = m.runs.a;
    $("#epoch").textContent = a.epoch.toFixed(a.epoch < 10 ? 2 : 1);
    $("#step").textContent = a.step.toLocaleString("en");
  }

  onConfig(m) {
    this.config = m.config;
    if (m.id === this.pendingId) this.pendingConfig = null;
    this.clearErrors();
    if (!m.reset) {
      for (const [key, panel] of Object.entries(this.panels)) panel.rebuildControls(m.config[key], this.structure);
    }
    this.renderConfig();
  }

  renderConfig() {
    this.data.render(this.config);
    $("#compare").checked = !!this.config.b;
    $("#seed").value = this.config.seed;
    this.saveHash();
  }

  saveHash() {
    if (this.config) writeHash({ c: this.config, t: this.tab, l: this.landscape.settings() });
  }

  redraw() {
    for (const p of Object.values(this.panels)) p.redraw(this.data.view);
    if (this.lastFrame) this.onFrame(this.lastFrame);
  }

  onError(m) {
    if (m.id !== null && m.id === this.landscape.pendingId) this.landscape.failed();
    if (m.id !== null && m.id === this.pendingId) this.pendingConfig = null;
    if (m.field && this.showFieldError(m.field, m.message)) return;
    this.toast(m.message, true);
  }

  // put the message under the control whose data-field is the longest prefix of `field`
  showFieldError(field, message) {
    let best = null;
    for (const node of document.querySelectorAll("[data-field]")) {
      const f = node.dataset.field;
      if ((field === f || field.startsWith(`${f}.`)) && (!best || f.length > best.dataset.field.length)) best = node;
    }
    if (!best || best.offsetParent === null) return false;
    const holder = best.closest(".act-control, .control, .layer-control, .hyper, .datasets") || best;
    holder.querySelector(":scope > .field-error")?.remove();
    holder.append(el("div.field-error", { role: "alert", text: message }));
    best.classList.add("invalid");
    return true;
  }

  clearErrors() {
    document.querySelectorAll(".field-error").forEach((n) => n.remove());
    document.querySelectorAll(".invalid").forEach((n) => n.classList.remove("invalid"));
  }

  toast(text, bad = false) {
    const box = $("#messages");
    const item = el(`div.toast${bad ? ".bad" : ""}`, { role: bad ? "alert" : "status", text });
    box.append(item);
    setTimeout(() => item.remove(), bad ? 12000 : 8000);
  }

  setPlaying(playing, reason) {
    this.playing = playing;
    const b = $("#play");
    b.classList.toggle("playing", playing);
    b.title = playing ? "pause (space)" : "train (space)";
    b.setAttribute("aria-label", playing ? "pause" : "play");
    if (reason) this.toast(`stopped: the model ${reason}`, true);
  }

  showCommands(commands) {
    const lines = [];
    for (const [key, c] of Object.entries(commands)) {
      const label = Object.keys(commands).length > 1 ? `model ${key.toUpperCase()}: ` : "";
      if (c.text) lines.push(`${label}${c.text}`);
      for (const n of c.notes) lines.push(`${label}# ${c.text ? "note" : "cannot copy"}: ${n}`);
    }
    const text = lines.join("\n");
    const any = Object.values(commands).some((c) => c.text);
    $("#command-head").textContent = any
      ? "The same training from the command line (copied to the clipboard):"
      : "actopt train has no flags for this configuration:";
    $("#command-text").textContent = text;
    $("#command-box").classList.remove("hidden");
    navigator.clipboard?.writeText(text).catch(() => {});
  }

  showTab(tab) {
    this.tab = tab;
    document.querySelectorAll("[data-tab]").forEach((b) => b.classList.toggle("selected", b.dataset.tab === tab));
    $("#network-tab").classList.toggle("hidden", tab !== "network");
    $("#landscape-tab").classList.toggle("hidden", tab !== "landscape");
    document.body.dataset.tab = tab;
    if (tab === "landscape") this.landscape.replay();
    this.saveHash();
  }

  onClose(reason) {
    this.setPlaying(false);
    $("#banner-text").textContent = `Disconnected: ${reason}.`;
    $("#banner").classList.remove("hidden");
  }

  wireHeader() {
    $("#play").addEventListener("click", () => this.send({ type: this.playing ? "pause" : "play" }));
    $("#step-button").addEventListener("click", () => this.send({ type: "step", n: 1 }));
    $("#reset").addEventListener("click", () => this.send({ type: "reset" }));
    $("#speed").addEventListener("change", (e) => this.send({ type: "speed", steps_per_s: Number(e.target.value) }));
    $("#compare").addEventListener("change", (e) => this.update((c) => { c.b = e.target.checked ? clone(c.a) : null; }));
    $("#seed").addEventListener("change", (e) => this.update((c) => { c.seed = Number(e.target.value); }));
    $("#reseed").addEventListener("click", () => this.update((c) => { c.seed += 1; }));
    $("#copy").addEventListener("click", () => this.send({ type: "command" }));
    $("#save").addEventListener("click", () => {
      for (const key of Object.keys(this.panels)) this.send({ type: "save", which: key });
    });
    $("#share").addEventListener("click", () => {
      this.saveHash();
      navigator.clipboard?.writeText(location.href).catch(() => {});
      this.toast("the link to this configuration is in the address bar (and on the clipboard)");
    });
    $("#command-close").addEventListener("click", () => $("#command-box").classList.add("hidden"));
    $("#reconnect").addEventListener("click", () => location.reload());
    document.querySelectorAll("[data-tab]").forEach((b) => b.addEventListener("click", () => this.showTab(b.dataset.tab)));
    document.addEventListener("keydown", (e) => {
      if (e.code === "Space" && !["INPUT", "SELECT", "TEXTAREA", "BUTTON"].includes(document.activeElement.tagName)
          && this.tab === "network") {
        e.preventDefault();
        $("#play").click();
      }
    });
    window.addEventListener("resize", () => Object.values(this.panels).forEach((p) => p.network.layout()));
  }
}

window.playground = new App();
window.playground.start();
