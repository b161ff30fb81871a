// The owner page of a nemiot hub (examples/hub -ui).
//
// All cryptography is nemiot's Go code compiled to WebAssembly
// (nemiot.wasm, see examples/hub/ui/wasm): this script only moves bytes
// between the page, the module and the hub. The owner's private key goes
// from the #key field into the module and stays there; this script never
// sends, logs or stores it. The only storage it writes is the kept key,
// encrypted by the module under the owner's passphrase, and only when the
// owner asks. Element ids #key #device #cmd #args #send #reply are a
// contract (DESIGN.md §12).
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const el = {
    status: $("status"), device: $("device"), deviceAddress: $("device-address"), deviceNote: $("device-note"),
    pin: $("pin"), unpin: $("unpin"), retry: $("retry"), pinKey: $("pin-key"), pinSet: $("pin-set"),
    key: $("key"), showKey: $("show-key"), scan: $("scan"), video: $("scan-video"), keyNote: $("key-note"),
    keep: $("keep"), keepNew: $("keep-new"), keepPass: $("keep-pass"), keepSave: $("keep-save"),
    keepOpen: $("keep-open"), unlockPass: $("unlock-pass"), unlock: $("unlock"), forget: $("forget"), keepNote: $("keep-note"),
    cmd: $("cmd"), args: $("args"), send: $("send"), reply: $("reply"), perf: $("perf"),
  };
  const KEPT = "nemiot.key"; // localStorage item of the kept (encrypted) key
  const HEX64 = /^[0-9a-f]{64}$/;

  // Timings for the owner and the tests (ms since navigation start).
  const perf = (window.nemiotPerf = { wasm: null, device: null, ready: null, seals: [], wasmBytes: null });

  let nemiot = null;    // the module's API, once it runs
  let hub = null;       // GET /v1/device: {publicKey, address, network}
  let hubError = "";    // why hub is null
  let pinned = "";      // the device key the owner pinned (URL fragment)
  let session = null;   // the owner's session in the module: it holds the key
  let keyProblem = "";  // why there is no session although #key is not empty
  let fromKept = false; // the session's key came from the kept key
  let busy = false;

  const network = () => (hub && hub.network) || "testnet";
  const target = () => pinned || (hub ? hub.publicKey : "");
  const short = (hex) => hex.slice(0, 8) + "…" + hex.slice(-8);

  function note(node, text, cls) {
    node.textContent = text;
    node.className = "note" + (cls ? " " + cls : "");
  }

  function showReply(cls, text) {
    el.reply.className = "mono " + cls;
    el.reply.textContent = text;
  }

  // --- The device ------------------------------------------------------

  function readPin() {
    const m = /^#device=([0-9a-fA-F]{64})$/.exec(location.hash);
    pinned = m ? m[1].toLowerCase() : "";
  }

  function setPin(hex) {
    pinned = hex;
    history.replaceState(null, "", location.pathname + location.search + (hex ? "#device=" + hex : ""));
    retarget();
    showDevice();
  }

  async function loadDevice() {
    try {
      const r = await fetch("/v1/device", { cache: "no-store", credentials: "omit" });
      if (!r.ok) throw new Error("the hub answered HTTP " + r.status + " to GET /v1/device");
      const d = await r.json();
      if (!d || typeof d.publicKey !== "string" || !HEX64.test(d.publicKey)) throw new Error("the hub's answer names no device key");
      hub = d;
      hubError = "";
    } catch (e) {
      hub = null;
      hubError = e instanceof TypeError ? "the hub does not answer: is it running, and is this its address?" : e.message;
    }
    if (perf.device === null && hub) perf.device = performance.now();
    retarget();
    showDevice();
  }

  function showDevice() {
    el.retry.hidden = !!hub;
    el.pin.disabled = !hub || pinned === hub.publicKey;
    el.unpin.hidden = !pinned;
    if (!hub) {
      el.device.textContent = pinned || "unknown";
      el.deviceAddress.textContent = "";
      note(el.deviceNote, "error: " + hubError + (pinned ? " (pinned: " + short(pinned) + ")" : ""), "bad");
      return;
    }
    el.device.textContent = hub.publicKey;
    let addr = hub.address + " · " + network();
    if (nemiot) {
      const mine = nemiot.address(hub.publicKey, network());
      if (typeof mine === "string" && mine !== hub.address) addr += " (the hub's address does not belong to its key: " + mine + ")";
    }
    el.deviceAddress.textContent = addr;
    if (!pinned) {
      note(el.deviceNote, "Not pinned: commands are sealed for the key the hub gives. Compare it with the key shown at setup and pin it, so that an impostor hub cannot read them (then bookmark this page: the pin is in its address).", "warn");
    } else if (pinned === hub.publicKey) {
      note(el.deviceNote, "Pinned: this hub is the device you pinned.", "ok");
    } else {
      note(el.deviceNote, "Wrong device: the hub says it is " + short(hub.publicKey) + ", but you pinned " + short(pinned) + ". Commands are sealed for the pinned key, and this hub will refuse them: is this the right hub?", "bad");
    }
  }

  // --- The owner's key -------------------------------------------------

  function dropSession() {
    if (session) session.close();
    session = null;
    fromKept = false;
  }

  // retarget points the session at the device commands are sealed for.
  function retarget() {
    if (!session) return;
    const r = session.device(target());
    if (r.error) note(el.keyNote, "error: " + r.error, "bad");
  }

  function showOwner() {
    const addr = session.address(network());
    note(el.keyNote, (fromKept ? "Kept key unlocked. " : "") + "Owner " + session.owner + (typeof addr === "string" ? " · " + addr : ""), "ok");
  }

  function keyChanged() {
    dropSession();
    keyProblem = "";
    const text = el.key.value;
    if (!text.trim()) {
      note(el.keyNote, "");
      return;
    }
    if (!nemiot) {
      keyProblem = "the page is still loading";
      note(el.keyNote, keyProblem);
      return;
    }
    // The module reads the key as typed, in groups, or as a whole key file.
    const s = nemiot.session(text, "");
    if (s.error) {
      keyProblem = s.error;
      // Still typing: say so quietly; otherwise, in red.
      const typing = document.activeElement === el.key;
      note(el.keyNote, (typing ? "" : "error: ") + s.error, typing ? "" : "bad");
      return;
    }
    session = s;
    showOwner();
    retarget();
  }

  // --- Keeping the key, encrypted --------------------------------------

  function kept() {
    try {
      return localStorage.getItem(KEPT);
    } catch {
      return null;
    }
  }

  function showKept() {
    const k = kept();
    el.keepOpen.hidden = !k;
    el.keepNew.hidden = !!k;
    if (k && nemiot && !fromKept) {
      const owner = nemiot.keptOwner(k);
      note(el.keepNote, typeof owner === "string" ? "A key of owner " + short(owner) + " is kept on this browser: unlock it with its passphrase." : "error: " + owner.error, typeof owner === "string" ? "" : "bad");
    }
  }

  // later runs f after the browser has painted the note (PBKDF2 takes a
  // second or two).
  const later = (f) => requestAnimationFrame(() => setTimeout(f, 0));

  function keepKey() {
    if (!session) {
      note(el.keepNote, "error: type your key first", "bad");
      return;
    }
    note(el.keepNote, "encrypting…");
    later(() => {
      const r = session.keep(el.keepPass.value);
      if (r.error) {
        note(el.keepNote, "error: " + r.error, "bad");
        return;
      }
      try {
        localStorage.setItem(KEPT, r.kept);
      } catch (e) {
        note(el.keepNote, "error: this browser does not let the page store anything (" + e.message + ")", "bad");
        return;
      }
      el.keepPass.value = "";
      showKept();
      note(el.keepNote, "Kept, encrypted. Next time, unlock it with the passphrase.", "ok");
    });
  }

  function unlockKey() {
    const k = kept();
    if (!k || !nemiot) return;
    note(el.keepNote, "decrypting…");
    later(() => {
      const s = nemiot.unlock(k, el.unlockPass.value, "");
      el.unlockPass.value = "";
      if (s.error) {
        note(el.keepNote, "error: " + s.error, "bad");
        return;
      }
      dropSession();
      el.key.value = "";
      session = s;
      fromKept = true;
      keyProblem = "";
      retarget();
      showOwner();
      note(el.keepNote, "Unlocked: the key is in this page's memory until you close it.", "ok");
    });
  }

  function forgetKey() {
    try {
      localStorage.removeItem(KEPT);
    } catch {
      // nothing was stored
    }
    if (fromKept) {
      dropSession();
      note(el.keyNote, "");
    }
    showKept();
    note(el.keepNote, "Forgotten: nothing is stored on this browser.", "ok");
  }

  // --- Scanning a key from a QR code (where the browser can) ------------

  let scanning = null;

  async function scan() {
    if (scanning) {
      scanning.stop();
      return;
    }
    let stream;
    try {
      const detector = new BarcodeDetector({ formats: ["qr_code"] });
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
      el.video.srcObject = stream;
      el.video.hidden = false;
      await el.video.play();
      const deadline = performance.now() + 60000;
      let stopped = false;
      scanning = {
        stop() {
          stopped = true;
          stream.getTracks().forEach((t) => t.stop());
          el.video.srcObject = null;
          el.video.hidden = true;
          el.scan.textContent = "Scan QR";
          scanning = null;
        },
      };
      el.scan.textContent = "Stop";
      while (!stopped && performance.now() < deadline) {
        const codes = await detector.detect(el.video);
        for (const c of codes) {
          const m = /(?:^|[^0-9a-f])((?:00)?[0-9a-f]{64})(?![0-9a-f])/i.exec(c.rawValue);
          if (m) {
            el.key.value = m[1];
            scanning.stop();
            keyChanged();
            return;
          }
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      if (!stopped) {
        scanning.stop();
        note(el.keyNote, "No key found in a QR code; type or paste it instead.", "warn");
      }
    } catch (e) {
      if (stream) stream.getTracks().forEach((t) => t.stop());
      el.video.hidden = true;
      scanning = null;
      note(el.keyNote, "error: the camera cannot scan here (" + e.message + "); type or paste the key", "bad");
    }
  }

  // --- Sending a command -------------------------------------------------

  async function refusalHint() {
    const owner = session ? session.owner : "your key";
    if (pinned) {
      await loadDevice();
      if (hub && hub.publicKey !== pinned) {
        return "the hub says it is device " + hub.publicKey + ", not the pinned key " + pinned + "; check the pin (or the hub's address)";
      }
    }
    return "is " + owner + " an owner of the device, and are the clocks right? (this browser's clock says " + new Date().toISOString() + ")";
  }

  function describeReply(cmd, o) {
    const lines = ["verified · " + cmd + " · " + (o.ok ? "ok" : "not done")];
    if (o.ok) {
      lines.push(o.result && o.result !== "null" ? o.result : "(no result)");
    } else {
      lines.push("the device says: " + (o.message || "(no reason given)"));
      if (o.result && o.result !== "null") lines.push(o.result);
    }
    lines.push("signed by the device at " + new Date(o.time).toISOString());
    return lines.join("\n");
  }

  async function send() {
    if (busy) return;
    const cmd = el.cmd.value.trim();
    if (!nemiot) return showReply("error", "error: the page is still loading its WebAssembly module");
    if (!session) {
      if (el.key.value.trim()) return showReply("error", "error: owner key: " + keyProblem);
      return showReply("error", "error: no owner key: paste your private key above");
    }
    if (!target()) {
      await loadDevice();
      if (!target()) return showReply("error", "error: the device's key is unknown: " + hubError + " (or pin the device's key)");
    }
    const t0 = performance.now();
    const sealed = session.seal(cmd, el.args.value);
    const sealMs = performance.now() - t0;
    if (sealed.error) return showReply("error", "error: " + sealed.error);
    perf.seals.push(sealMs);

    busy = true;
    el.send.disabled = true;
    showReply("", "sending " + cmd + "…");
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), 30000);
    try {
      const r = await fetch("/v1/commands", {
        method: "POST",
        headers: { "Content-Type": "application/octet-stream" },
        body: sealed.envelope,
        cache: "no-store",
        credentials: "omit",
        signal: ctl.signal,
      });
      const body = new Uint8Array(await r.arrayBuffer());
      if (r.status === 200) {
        const o = session.open(sealed.envelope, body);
        if (o.error) showReply("error", "error: the reply failed verification: " + o.error);
        else showReply(o.ok ? "verified" : "verified failed", describeReply(cmd, o));
      } else if (r.status === 401) {
        showReply("refused", "refused: the hub refused the command (401): " + (await refusalHint()));
      } else if (r.status === 503) {
        const after = r.headers.get("Retry-After");
        showReply("error", "error: the hub is busy (503); try again" + (after ? " in " + after + " s" : " shortly"));
      } else if (r.status === 413) {
        showReply("error", "error: the command is too large for the hub (413)");
      } else if (r.status === 404 || r.status === 405) {
        showReply("error", "error: this server has no hub API at /v1/commands (HTTP " + r.status + ")");
      } else {
        showReply("error", "error: the hub answered HTTP " + r.status);
      }
    } catch (e) {
      showReply("error", ctl.signal.aborted
        ? "error: no answer from the hub within 30 s"
        : "error: the hub does not answer: is it running, and is this its address? (" + e.message + ")");
    } finally {
      clearTimeout(timer);
      busy = false;
      el.send.disabled = false;
      showPerf();
    }
  }

  function showPerf() {
    const parts = [];
    if (perf.ready !== null) parts.push("ready in " + Math.round(perf.ready) + " ms");
    if (perf.seals.length) parts.push("last seal " + perf.seals[perf.seals.length - 1].toFixed(2) + " ms");
    if (nemiot) parts.push("WebAssembly by " + nemiot.version);
    el.perf.textContent = parts.join(" · ");
  }

  // warmUp seals one throwaway command with a throwaway key (not the
  // owner's; nothing is sent), so that the browser has compiled the
  // sealing code before the owner's first command.
  function warmUp() {
    if (!hub) return;
    const s = nemiot.session("11".repeat(32), hub.publicKey);
    if (s.error) return;
    s.seal("status", "");
    s.close();
  }

  // --- Start -------------------------------------------------------------

  async function loadModule() {
    if (!window.WebAssembly || typeof Go !== "function") throw new Error("this browser cannot run WebAssembly");
    const go = new Go();
    const url = "/ui/nemiot.wasm";
    let result;
    if (WebAssembly.instantiateStreaming) {
      result = await WebAssembly.instantiateStreaming(fetch(url, { credentials: "omit" }), go.importObject);
    } else {
      const r = await fetch(url, { credentials: "omit" });
      result = await WebAssembly.instantiate(await r.arrayBuffer(), go.importObject);
    }
    go.run(result.instance); // returns once the module's main waits for calls
    nemiot = window.nemiot;
    delete window.nemiot; // only this script holds the API
    perf.wasm = performance.now();
    const entry = performance.getEntriesByName(new URL(url, location.href).href)[0];
    if (entry) perf.wasmBytes = entry.encodedBodySize;
  }

  function wire() {
    el.key.addEventListener("input", keyChanged);
    el.key.addEventListener("blur", () => keyProblem && keyChanged());
    el.showKey.addEventListener("click", () => {
      const show = el.key.type === "password";
      el.key.type = show ? "text" : "password";
      el.showKey.textContent = show ? "Hide" : "Show";
      el.showKey.setAttribute("aria-pressed", String(show));
    });
    el.pin.addEventListener("click", () => hub && setPin(hub.publicKey));
    el.unpin.addEventListener("click", () => setPin(""));
    el.retry.addEventListener("click", loadDevice);
    el.pinSet.addEventListener("click", () => {
      const v = el.pinKey.value.trim().toLowerCase();
      if (!HEX64.test(v)) {
        note(el.deviceNote, "error: a device key is 64 hex characters", "bad");
        return;
      }
      el.pinKey.value = "";
      setPin(v);
    });
    el.keepSave.addEventListener("click", keepKey);
    el.unlock.addEventListener("click", unlockKey);
    el.forget.addEventListener("click", forgetKey);
    el.unlockPass.addEventListener("keydown", (e) => e.key === "Enter" && unlockKey());
    el.send.addEventListener("click", () => send());
    el.cmd.addEventListener("keydown", (e) => e.key === "Enter" && send());
    el.args.addEventListener("keydown", (e) => e.key === "Enter" && (e.ctrlKey || e.metaKey) && send());
    for (const b of document.querySelectorAll(".quick button")) {
      b.addEventListener("click", () => {
        el.cmd.value = b.dataset.cmd;
        el.args.value = b.dataset.args;
        send();
      });
    }
    if ("BarcodeDetector" in window && navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
      el.scan.hidden = false;
      el.scan.addEventListener("click", scan);
    }
    window.addEventListener("hashchange", () => {
      readPin();
      retarget();
      showDevice();
    });
    // Leaving the page drops the key: no back-forward cache restores it.
    window.addEventListener("pagehide", () => {
      el.key.value = "";
      dropSession();
    });
  }

  async function start() {
    readPin();
    wire();
    const device = loadDevice();
    try {
      await loadModule();
    } catch (e) {
      el.status.textContent = "cannot start";
      el.status.className = "bad";
      showReply("error", "error: the page could not start its WebAssembly module: " + e.message);
      return;
    }
    await device;
    perf.ready = performance.now();
    el.status.textContent = hub ? "ready" : "hub unreachable";
    el.status.className = hub ? "ready" : "bad";
    showDevice();
    showKept();
    if (el.key.value) keyChanged(); // typed while loading
    showPerf();
    document.documentElement.dataset.ready = "true";
    setTimeout(warmUp, 0);
  }

  start();
})();
