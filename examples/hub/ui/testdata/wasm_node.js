// Runs the owner page's WebAssembly module under node for
// wasm_node_test.go: node wasm_node.js WASM_EXEC_JS MODULE < cases.json.
// Each case goes through the module's page API (nemiot.session, seal,
// open) exactly as static/app.js calls it; results go to stdout as JSON.
"use strict";
const fs = require("fs");
require(process.argv[2]); // Go's wasm_exec.js: defines globalThis.Go

const fromHex = (h) => Uint8Array.from(h.match(/../g) || [], (b) => parseInt(b, 16));
const toHex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const failure = (r) => ({ error: r.error, code: r.code });

const input = JSON.parse(fs.readFileSync(0, "utf8"));
const go = new Go();
WebAssembly.instantiate(fs.readFileSync(process.argv[3]), go.importObject).then(({ instance }) => {
	go.run(instance); // returns once main blocks: globalThis.nemiot is set
	const out = { version: nemiot.version, seals: [], opens: [], sessions: [] };
	for (const c of input.sessions || []) {
		const s = nemiot.session(c.key, c.device);
		out.sessions.push(s.error ? failure(s) : { owner: s.owner, address: s.address(c.network) });
		if (!s.error) s.close();
	}
	for (const c of input.seals || []) {
		const s = nemiot.session(c.key, c.device);
		if (s.error) { out.seals.push(failure(s)); continue; }
		const r = s.seal(c.cmd, c.args, { rand: fromHex(c.rand), now: c.now });
		out.seals.push(r.error ? failure(r) : { envelope: toHex(r.envelope) });
		s.close();
	}
	for (const c of input.opens || []) {
		const s = nemiot.session(c.key, c.device);
		if (s.error) { out.opens.push(failure(s)); continue; }
		const r = s.open(fromHex(c.sent), fromHex(c.reply), { now: c.now });
		out.opens.push(r.error ? failure(r) : r);
		s.close();
	}
	// Keeping a key: keep, then unlock with the right and a wrong passphrase.
	out.keeps = [];
	for (const c of input.keeps || []) {
		const s = nemiot.session(c.key, "");
		const k = s.keep(c.passphrase, { iterations: c.iterations });
		s.close();
		if (k.error) { out.keeps.push(failure(k)); continue; }
		const right = nemiot.unlock(k.kept, c.passphrase, c.device);
		const wrong = nemiot.unlock(k.kept, c.passphrase + "x", c.device);
		out.keeps.push({ kept: k.kept, keptOwner: nemiot.keptOwner(k.kept), owner: right.owner || "", error: right.error || "", wrongCode: wrong.code || "" });
		if (!right.error) right.close();
	}
	// Timing, as the page seals: crypto.getRandomValues and the clock.
	if (input.timing) {
		const s = nemiot.session(input.timing.key, input.timing.device);
		const n = input.timing.n;
		const t0 = performance.now();
		for (let i = 0; i < n; i++) s.seal("light", '{"on":true}');
		out.sealMs = (performance.now() - t0) / n;
		const sent = fromHex(input.timing.sent), reply = fromHex(input.timing.reply);
		const t1 = performance.now();
		for (let i = 0; i < n; i++) {
			if (!s.open(sent, reply, { now: input.timing.now }).verified) throw new Error("timing: reply not verified");
		}
		out.openMs = (performance.now() - t1) / n;
		s.close();
	}
	process.stdout.write(JSON.stringify(out));
	process.exit(0);
}).catch((err) => {
	console.error(err);
	process.exit(1);
});
