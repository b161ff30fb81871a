#!/usr/bin/env node
// nemiot command envelopes from JavaScript, with nothing but the NEM SDKs:
// suite 0x01 (AES-CBC) is built and read with nem-sdk 1.6.11 alone, suite 0x02
// (AES-GCM) with the nem facade of symbol-sdk 3 alone. The format is the one
// in the Go package github.com/nemiot/nemiot/command (see its package doc):
//
//   envelope  = header | ciphertext | signature
//   header    = 0x01 | kind | suite | sender 32 | recipient 32 | time 8 (ms, BE)
//               | nonce 16 | ciphertext length 4 (BE)          (95 bytes)
//   signature = sender's NIS1 signature of "nemiot/envelope/v1" | header | ciphertext
//   co-signed (kind 0x03) = header | ciphertext | digest 32 | signature
//               | count 1 | (cosigner key 32 | signature 64) * count,
//               digest = SHA-256("nemiot/body/v1" | body), every signer signing
//               "nemiot/envelope/v1" | header | ciphertext | digest
//
// Usage (keys are hex; prints hex or JSON on stdout, errors on stderr, exit 1):
//   node envelope.mjs seal --suite 1|2 --owner PRIV --device PUB --cmd NAME
//        [--args JSON] [--time MS] [--cosigner PRIV]...
//   node envelope.mjs open-reply --app PRIV --device PUB --sent HEX --reply HEX [--now MS]
//   node envelope.mjs vectors        (the static vectors in command/testdata)
//   node envelope.mjs pad-lengths --n N   (the padding rule's table, for tests)
//   node envelope.mjs batch < requests.json   (many of the above, see batch)
//
// Private keys on the command line are for tests; a real app keeps them in a
// wallet. Install the SDKs first: npm ci

import nodeCrypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import nemPkg from 'nem-sdk';
import { PrivateKey, PublicKey, Signature } from 'symbol-sdk';
import { KeyPair, MessageEncoder, Verifier, models } from 'symbol-sdk/nem';

const nem = nemPkg.default || nemPkg;

const VERSION = 0x01;
const KIND_COMMAND = 0x01;
const KIND_REPLY = 0x02;
const KIND_COSIGNED = 0x03;
const SUITE_CBC = 0x01;
const SUITE_GCM = 0x02;
const HEADER_SIZE = 95;
const SIGN_DOMAIN = Buffer.from('nemiot/envelope/v1', 'ascii');
const DIGEST_DOMAIN = Buffer.from('nemiot/body/v1', 'ascii');
const WINDOW_MS = 30000;

const fail = message => {
	throw new Error(message);
};
const unhex = (value, bytes, what) => {
	if (typeof value !== 'string' || !/^[0-9a-fA-F]*$/.test(value) || (bytes && value.length !== 2 * bytes))
		fail(`${what}: want ${bytes ? 2 * bytes : 'an even number of'} hex characters`);
	return Buffer.from(value, 'hex');
};

// JSON text in ASCII: every non-ASCII UTF-16 unit as \uXXXX (so characters
// outside the BMP become surrogate-pair escapes). nem-sdk's text-to-bytes
// conversion would turn them into CESU-8 otherwise.
const asciiJson = value => JSON.stringify(value).replace(/[\u0080-\uffff]/g,
	c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

// The pad hides the body's length (the Go package's rule, byte for byte): a
// body whose JSON with an empty pad is n characters long is padded to a
// length drawn uniformly from the PAD_SPREAD lengths that start at the first
// multiple of PAD_BUCKET at least MIN_PAD beyond n. So {"on":true} and
// {"on":false} come out in the same lengths, odd and even alike; the device
// ignores the pad.
const MIN_PAD = 32;
const PAD_BUCKET = 64;
const PAD_SPREAD = 128;

// paddedLength is the padded length of a body of n characters (with an empty
// pad) for the random byte r.
export const paddedLength = (n, r) => (Math.ceil((n + MIN_PAD) / PAD_BUCKET) * PAD_BUCKET) + (r % PAD_SPREAD);

// withPad fills the empty pad that ends text ('"pad":""}') with random
// lowercase hex characters, as many as paddedLength says.
const withPad = text => {
	if (!text.endsWith('"pad":""}'))
		fail('internal: the body does not end with an empty pad');
	const p = paddedLength(text.length, nodeCrypto.randomBytes(1)[0]) - text.length;
	const pad = nodeCrypto.randomBytes(Math.ceil(p / 2)).toString('hex').slice(0, p);
	return `${text.slice(0, -2)}${pad}"}`;
};

// One signer, through one SDK: nem-sdk for suite 1, symbol-sdk for suite 2.
const signer = (suite, privateKeyHex) => {
	unhex(privateKeyHex, 32, 'private key');
	if (SUITE_CBC === suite) {
		const keyPair = nem.crypto.keyPair.create(privateKeyHex);
		return {
			publicKey: Buffer.from(keyPair.publicKey.toString(), 'hex'),
			sign: data => Buffer.from(keyPair.sign(new Uint8Array(data)).toString(), 'hex'),
			encrypt: (recipient, text) => Buffer.from(nem.crypto.helpers.encode(privateKeyHex, recipient.toString('hex'), text), 'hex'),
			// nem-sdk's decode returns hex and never fails; the signature, checked first, vouches for the bytes.
			decrypt: (sender, payload) => Buffer.from(nem.crypto.helpers.decode(privateKeyHex, sender.toString('hex'), payload.toString('hex')), 'hex')
		};
	}
	if (SUITE_GCM === suite) {
		const keyPair = new KeyPair(new PrivateKey(privateKeyHex));
		const encoder = new MessageEncoder(keyPair);
		return {
			publicKey: Buffer.from(keyPair.publicKey.bytes),
			sign: data => Buffer.from(keyPair.sign(new Uint8Array(data)).bytes),
			encrypt: (recipient, text) => Buffer.from(encoder.encode(new PublicKey(new Uint8Array(recipient)), Buffer.from(text, 'utf8')).message),
			decrypt: (sender, payload) => {
				const message = new models.Message();
				message.messageType = models.MessageType.ENCRYPTED;
				message.message = new Uint8Array(payload);
				const { isDecoded, message: plain } = encoder.tryDecode(new PublicKey(new Uint8Array(sender)), message);
				if (!isDecoded)
					fail('reply does not decrypt');
				return Buffer.from(plain);
			}
		};
	}
	return fail(`unknown suite ${suite}`);
};

const verify = (suite, publicKey, data, signature) => {
	if (SUITE_CBC === suite)
		return nem.crypto.verifySignature(publicKey.toString('hex'), new Uint8Array(data), signature.toString('hex'));
	return new Verifier(new PublicKey(new Uint8Array(publicKey))).verify(new Uint8Array(data), new Signature(new Uint8Array(signature)));
};

const header = (kind, suite, sender, recipient, timeMs, nonce, ciphertextLength) => {
	const h = Buffer.alloc(HEADER_SIZE);
	h[0] = VERSION;
	h[1] = kind;
	h[2] = suite;
	sender.copy(h, 3);
	recipient.copy(h, 35);
	h.writeBigUInt64BE(BigInt(timeMs), 67);
	nonce.copy(h, 75);
	h.writeUInt32BE(ciphertextLength, 91);
	return h;
};

// seal builds a command envelope; with cosigners, a co-signed one.
export const seal = ({ suite, owner, device, cmd, args, timeMs, cosigners = [] }) => {
	if ('string' !== typeof cmd || !cmd)
		fail('a command name is required');
	const me = signer(suite, owner);
	const recipient = unhex(device, 32, 'device public key');
	const body = { cmd };
	if (undefined !== args && null !== args)
		body.args = args;
	body.pad = '';
	const text = withPad(asciiJson(body));
	const ciphertext = me.encrypt(recipient, text);
	const kind = cosigners.length ? KIND_COSIGNED : KIND_COMMAND;
	const nonce = nodeCrypto.randomBytes(16);
	const parts = [header(kind, suite, me.publicKey, recipient, timeMs, nonce, ciphertext.length), ciphertext];
	if (KIND_COSIGNED === kind)
		parts.push(nodeCrypto.createHash('sha256').update(DIGEST_DOMAIN).update(text, 'ascii').digest());
	const signed = Buffer.concat(parts);
	const message = Buffer.concat([SIGN_DOMAIN, signed]);
	const out = [signed, me.sign(message)];
	if (KIND_COSIGNED === kind) {
		out.push(Buffer.from([cosigners.length]));
		for (const cosignerKey of cosigners) {
			const cosigner = signer(suite, cosignerKey);
			out.push(cosigner.publicKey, cosigner.sign(message));
		}
	}
	return { envelope: Buffer.concat(out), body: text };
};

const parseHeader = (bytes, what) => {
	if (bytes.length < HEADER_SIZE + 64)
		fail(`${what}: too short`);
	if (VERSION !== bytes[0])
		fail(`${what}: unknown version ${bytes[0]}`);
	const ciphertextLength = bytes.readUInt32BE(91);
	return {
		kind: bytes[1],
		suite: bytes[2],
		sender: bytes.subarray(3, 35),
		recipient: bytes.subarray(35, 67),
		timeMs: Number(bytes.readBigUInt64BE(67)),
		nonce: bytes.subarray(75, 91),
		ciphertextLength
	};
};

// openReply checks a device's reply to the envelope we sent and returns it.
export const openReply = ({ app, device, sent, reply, nowMs }) => {
	const devicePublicKey = unhex(device, 32, 'device public key');
	const s = parseHeader(sent, 'sent envelope');
	const r = parseHeader(reply, 'reply');
	if (KIND_REPLY !== r.kind)
		fail(`reply: kind ${r.kind} is not a reply`);
	if (SUITE_CBC !== r.suite && SUITE_GCM !== r.suite)
		fail(`reply: unknown suite ${r.suite}`);
	const me = signer(r.suite, app);
	if (!s.sender.equals(me.publicKey) || !s.recipient.equals(devicePublicKey))
		fail('sent envelope: not from this app to this device');
	if (!r.sender.equals(devicePublicKey))
		fail('reply: not from the device');
	if (!r.recipient.equals(me.publicKey))
		fail('reply: not for this app');
	if (Math.abs(r.timeMs - nowMs) > WINDOW_MS)
		fail('reply: dated outside the window');
	const end = HEADER_SIZE + r.ciphertextLength;
	if (reply.length !== end + 64)
		fail('reply: lengths do not add up');
	if (!verify(r.suite, devicePublicKey, Buffer.concat([SIGN_DOMAIN, reply.subarray(0, end)]), reply.subarray(end)))
		fail('reply: bad signature');
	const text = me.decrypt(r.sender, reply.subarray(HEADER_SIZE, end)).toString('utf8');
	let body;
	try {
		body = JSON.parse(text);
	} catch (err) {
		fail('reply: body is not JSON');
	}
	if (body.re !== s.nonce.toString('hex'))
		fail('reply: answers another command');
	if ('boolean' !== typeof body.ok)
		fail('reply: no ok');
	return { ok: body.ok, result: body.result ?? null, error: body.error ?? '', timeMs: r.timeMs };
};

// region command line

const parseArgs = argv => {
	const out = { cosigner: [] };
	for (let i = 0; i < argv.length; i += 2) {
		const name = argv[i];
		if (!name.startsWith('--') || i + 1 >= argv.length)
			fail(`bad argument ${name}`);
		const key = name.slice(2);
		if ('cosigner' === key)
			out.cosigner.push(argv[i + 1]);
		else
			out[key] = argv[i + 1];
	}
	return out;
};

const required = (args, ...names) => names.forEach(n => (undefined === args[n] ? fail(`--${n} is required`) : null));

const suiteOf = value => {
	const suite = Number(value);
	if (SUITE_CBC !== suite && SUITE_GCM !== suite)
		fail('--suite must be 1 (nem-sdk, CBC) or 2 (symbol-sdk, GCM)');
	return suite;
};

// Deterministic test keys for the vectors: SHA-256 of a label.
const labelKey = label => nodeCrypto.createHash('sha256').update(`nemiot/command/vectors/${label}`).digest('hex');

const sdkVersion = name => {
	const here = path.dirname(fileURLToPath(import.meta.url));
	return JSON.parse(fs.readFileSync(path.join(here, 'node_modules', name, 'package.json'), 'utf8')).version;
};

const vectors = () => {
	const device = labelKey('device');
	const owners = ['owner A', 'owner B', 'owner C'].map(labelKey);
	const publicKey = priv => signer(SUITE_GCM, priv).publicKey.toString('hex');
	const t = Date.UTC(2031, 4, 6, 7, 8, 9);
	const cases = [
		['nem-sdk CBC, no args', SUITE_CBC, 'status', undefined, []],
		['nem-sdk CBC, object args', SUITE_CBC, 'light', { on: true }, []],
		['nem-sdk CBC, non-ASCII args', SUITE_CBC, 'say', { text: 'héllo 日本 😀' }, []],
		['symbol-sdk GCM, no args', SUITE_GCM, 'status', undefined, []],
		['symbol-sdk GCM, number args', SUITE_GCM, 'fan', 3, []],
		['symbol-sdk GCM, non-ASCII args', SUITE_GCM, 'say', { text: 'ünïcödé ✓ 😀' }, []],
		['symbol-sdk GCM, co-signed 2 of 3', SUITE_GCM, 'unlock', { door: 'front' }, [owners[1]]],
		['nem-sdk CBC, co-signed 3 of 3', SUITE_CBC, 'unlock', { door: 'back' }, [owners[2], owners[1]]]
	].map(([name, suite, cmd, args, cosigners], i) => {
		const timeMs = t + (1000 * i);
		const { envelope } = seal({ suite, owner: owners[0], device: publicKey(device), cmd, args, timeMs, cosigners });
		return {
			name, suite, timeMs, cmd, args: args ?? null, signatures: 1 + cosigners.length, envelope: envelope.toString('hex')
		};
	});
	return {
		generator: 'examples/js-app/envelope.mjs vectors',
		sdk: { 'nem-sdk': sdkVersion('nem-sdk'), 'symbol-sdk': sdkVersion('symbol-sdk') },
		description: 'Command envelopes built in JavaScript (suite 1 with nem-sdk only, suite 2 with symbol-sdk only); '
			+ 'keys are SHA-256 of "nemiot/command/vectors/" + label (test keys only); owners[0] sends, cosigners follow.',
		device: { privateKey: device, publicKey: publicKey(device) },
		owners: owners.map(k => ({ privateKey: k, publicKey: publicKey(k) })),
		cases
	};
};

// run carries out one command and returns what it prints.
const run = (command, args) => {
	switch (command) {
	case 'seal': {
		required(args, 'suite', 'owner', 'device', 'cmd');
		const timeMs = undefined === args.time ? Date.now() : Number(args.time);
		if (!Number.isSafeInteger(timeMs) || 0 > timeMs)
			fail('--time must be Unix milliseconds');
		const { envelope } = seal({
			suite: suiteOf(args.suite),
			owner: args.owner,
			device: args.device,
			cmd: args.cmd,
			args: undefined === args.args ? undefined : JSON.parse(args.args),
			timeMs,
			cosigners: [].concat(args.cosigner ?? [])
		});
		return envelope.toString('hex');
	}
	case 'open-reply': {
		required(args, 'app', 'device', 'sent', 'reply');
		const reply = openReply({
			app: args.app,
			device: args.device,
			sent: unhex(args.sent, 0, '--sent'),
			reply: unhex(args.reply, 0, '--reply'),
			nowMs: undefined === args.now ? Date.now() : Number(args.now)
		});
		return JSON.stringify(reply);
	}
	case 'vectors':
		return JSON.stringify(vectors(), null, '\t');
	case 'pad-lengths': {
		// paddedLength for every n below --n and every byte: [n][r].
		required(args, 'n');
		const table = [];
		for (let n = 0; n < Number(args.n); n++)
			table.push(Array.from({ length: 256 }, (_, r) => paddedLength(n, r)));
		return JSON.stringify(table);
	}
	default:
		return fail('usage: envelope.mjs seal|open-reply|vectors|pad-lengths|batch [--flag value]...');
	}
};

// batch reads a JSON array of {"command": "seal" | "open-reply", "args":
// {flag: value}} from stdin and prints an array of {"out": text} or
// {"error": message}, one per request: many commands for one start of node
// (the Go interop test uses it).
const batch = () => {
	const requests = JSON.parse(fs.readFileSync(0, 'utf8'));
	if (!Array.isArray(requests))
		fail('batch: stdin must hold a JSON array');
	return JSON.stringify(requests.map(({ command, args }) => {
		if ('batch' === command)
			return { error: 'batch: no nesting' };
		try {
			return { out: run(command, args ?? {}) };
		} catch (err) {
			return { error: err.message };
		}
	}));
};

const main = argv => {
	const [command, ...rest] = argv;
	const out = 'batch' === command ? batch() : run(command, parseArgs(rest));
	process.stdout.write(`${out}\n`);
};

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
	try {
		main(process.argv.slice(2));
	} catch (err) {
		process.stderr.write(`envelope.mjs: ${err.message}\n`);
		process.exit(1);
	}
}

// endregion
