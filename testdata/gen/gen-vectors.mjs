#!/usr/bin/env node
// Generates the NEM (NIS1) interop test vectors in ../vectors/ from the real JavaScript SDKs:
// nem-sdk (the classic NIS1 client library) and symbol-sdk 3 (its `nem` facade).
//
// Usage:  cd testdata/gen && npm ci && node gen-vectors.mjs
//
// The output is deterministic: every key, salt, IV, message and mnemonic entropy comes from a
// seeded SHA-256 counter-mode generator (class Rng below), the SDKs' own random sources
// (crypto.randomBytes, used by nem-sdk's nacl and by symbol-sdk) are replaced by a queue of bytes
// taken from that generator, and nem-sdk's clock (Date.now) is pinned while transactions are
// prepared. Rerunning gives byte-identical files.
//
// Wherever both SDKs can compute the same thing the script asserts that they agree (and runs a few
// more consistency checks). On any disagreement it writes nothing and exits with status 1.

import nodeCrypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { Bip32, PrivateKey, PublicKey, Signature } from 'symbol-sdk';
import {
	KeyPair, MessageEncoder, NemFacade, TransactionFactory, Verifier, models
} from 'symbol-sdk/nem';

// nem-sdk's nacl-fast.js replaces Uint8Array.prototype.slice and Float64Array.prototype.slice
// process-wide with a "polyfill" that returns an EMPTY array when called without arguments
// (Math.min(undefined, len) is NaN) and throws on negative indexes. Load it dynamically and put the
// native methods back: nem-sdk itself only calls slice with a defined start, where both agree.
const nativeSlices = [Uint8Array.prototype.slice, Float64Array.prototype.slice];
const nemPkg = await import('nem-sdk');
const nemSlicePolyfillBroken = 0 === new Uint8Array(4).slice().length;
[Uint8Array.prototype.slice, Float64Array.prototype.slice] = nativeSlices;
const nem = nemPkg.default.default || nemPkg.default || nemPkg;

const here = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.resolve(here, '..', 'vectors');
const sharedDir = path.resolve(here, '..', '..', '..', 'shared'); // <repo>/../shared, optional
const readVersion = name => JSON.parse(fs.readFileSync(path.join(here, 'node_modules', name, 'package.json'), 'utf8')).version;
const NEM_SDK = `nem-sdk@${readVersion('nem-sdk')}`;
const SYMBOL_SDK = `symbol-sdk@${readVersion('symbol-sdk')}`;
const GENERATOR = 'testdata/gen/gen-vectors.mjs';

if (NEM_SDK !== 'nem-sdk@1.6.11')
	throw new Error(`expected nem-sdk@1.6.11, found ${NEM_SDK}`);

// region failures and helpers

const failures = [];
const check = (condition, message) => {
	if (!condition) {
		failures.push(message);
		console.error(`MISMATCH: ${message}`);
	}
	return condition;
};
const notes = [];
const note = message => {
	if (!notes.includes(message))
		notes.push(message);
};
if (nemSlicePolyfillBroken) {
	note('nem-sdk 1.6.11 (external/nacl-fast.js) overwrites Uint8Array.prototype.slice and Float64Array.prototype.slice '
		+ 'for the whole process: slice() without arguments returns an empty array and negative indexes throw. The '
		+ 'generator restores the native methods right after loading nem-sdk.');
}

const hex = bytes => Buffer.from(bytes).toString('hex');
const unhex = str => new Uint8Array(Buffer.from(str, 'hex'));
const lower = value => value.toString().toLowerCase();
const reversedHex = str => hex(unhex(str).reverse());
const concat = (...arrays) => new Uint8Array(Buffer.concat(arrays.map(a => Buffer.from(a))));

// endregion

// region deterministic generator

// SHA-256 in counter mode over a label: Rng('keys') always yields the same byte stream.
class Rng {
	constructor(label) {
		this.label = label;
		this.counter = 0;
		this.pool = Buffer.alloc(0);
	}

	bytes(n) {
		while (this.pool.length < n) {
			const block = nodeCrypto.createHash('sha256').update(`nemiot-test-vectors/${this.label}/${this.counter++}`).digest();
			this.pool = Buffer.concat([this.pool, block]);
		}
		const out = new Uint8Array(this.pool.subarray(0, n));
		this.pool = this.pool.subarray(n);
		return out;
	}

	u32() {
		return Buffer.from(this.bytes(4)).readUInt32LE(0);
	}

	int(n) { // 0 <= result < n (modulo bias irrelevant here)
		return this.u32() % n;
	}

	pick(array) {
		return array[this.int(array.length)];
	}

	privateKey() {
		return hex(this.bytes(32));
	}
}

// endregion

// region stubbed randomness and clock

// Both SDKs draw randomness through crypto.randomBytes at call time (nem-sdk's nacl-fast PRNG in
// Node, symbol-sdk's impl/CipherHelpers.js, bitcore-lib's Random used by Bip32.random), so one stub
// covers them. Outside withRandom() any call is an error, which proves nothing random slipped in.
let randomQueue = null;
nodeCrypto.randomBytes = (size, callback) => {
	if (callback)
		throw new Error('async crypto.randomBytes is not stubbed');
	if (!randomQueue)
		throw new Error(`unexpected crypto.randomBytes(${size}) outside withRandom()`);
	const next = randomQueue.shift();
	if (!next || next.length !== size)
		throw new Error(`crypto.randomBytes(${size}) called but the next queued chunk has ${next ? next.length : 'no'} bytes`);
	return Buffer.from(next);
};
const withRandom = (chunks, fn) => {
	randomQueue = chunks.slice();
	try {
		const result = fn();
		if (randomQueue.length)
			throw new Error(`${randomQueue.length} queued random chunk(s) were not consumed`);
		return result;
	} finally {
		randomQueue = null;
	}
};

const NEM_EPOCH_UNIX = 1427587585; // 2015-03-29T00:06:25Z
const realDateNow = Date.now;
// Pins Date.now() inside fn to network time `timeStamp` (+0.5 s, to exercise the floor).
const atNetworkTime = (timeStamp, fn) => {
	Date.now = () => ((NEM_EPOCH_UNIX + timeStamp) * 1000) + 500;
	try {
		return fn();
	} finally {
		Date.now = realDateNow;
	}
};

// endregion

// region SDK adapters

const NETWORKS = {
	mainnet: { id: nem.model.network.data.mainnet.id, symbol: new NemFacade('mainnet') },
	testnet: { id: nem.model.network.data.testnet.id, symbol: new NemFacade('testnet') },
	mijin: { id: nem.model.network.data.mijin.id, symbol: null }
};

const CryptoJS = nem.crypto.js;
const { convert } = nem.utils;
const keccak = (bytes, bits) => CryptoJS.SHA3(convert.ua2words(bytes, bytes.length), { outputLength: bits }).toString(CryptoJS.enc.Hex);
const keccak256 = bytes => keccak(bytes, 256);

const nemPublicKey = priv => nem.crypto.keyPair.create(priv).publicKey.toString();
const symbolKeyPair = priv => new KeyPair(new PrivateKey(priv));
const symbolPublicKey = priv => lower(symbolKeyPair(priv).publicKey);

// Public key, cross-checked between the SDKs.
const publicKeyOf = priv => {
	const pub = nemPublicKey(priv);
	check(pub === symbolPublicKey(priv), `public key of ${priv}: nem-sdk ${pub} != symbol-sdk ${symbolPublicKey(priv)}`);
	return pub;
};

const nemAddress = (pub, network) => nem.model.address.toAddress(pub, NETWORKS[network].id);

// ECDH point (NIS: clamped scalar of my key times the other key), via nem-sdk's exported nacl
// low-level function with a Keccak-512 from nem-sdk's CryptoJS (nem-sdk's own key_derive is private).
const sharedPoint = (myPriv, otherPub) => {
	const shared = new Uint8Array(32);
	const keccak512 = (dest, data, length) => convert.words2ua(dest, CryptoJS.SHA3(convert.ua2words(data, length), { outputLength: 512 }));
	nem.crypto.nacl.lowlevel.crypto_shared_key_hash(shared, unhex(otherPub), convert.hex2ua_reversed(myPriv), keccak512);
	return shared;
};

const symbolVerify = (pub, data, sig) => {
	try {
		return new Verifier(new PublicKey(pub)).verify(data, new Signature(sig));
	} catch (err) {
		return 'throws';
	}
};
const nemVerify = (pub, data, sig) => {
	try {
		return nem.crypto.verifySignature(pub, data, sig);
	} catch (err) {
		return 'throws';
	}
};

const encryptedMessage = bytes => {
	const message = new models.Message();
	message.messageType = models.MessageType.ENCRYPTED;
	message.message = bytes;
	return message;
};

// endregion

// region text generators

const POOLS = {
	ascii: Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)).join(''),
	latin: 'àáâãäåæçèéêëìíîïðñòóôõöøùúûüýþÿßÄÖÜÉÑ€£¥©®±§¶',
	greekCyrillic: 'αβγδεζηθλμπσφψωΩΣΔДЖЗИЙЛПФЦЧШЩЪЫЬЭЮЯжзийлпфцчшщъыьэюя',
	cjk: '日本語中文字漢字テストメッセージこんにちは世界한국어물건',
	symbols: '→←↑↓∀∃∅∈√∞≈≠≤≥♠♣♥♦☃★☆✓✗☂☀\u2028\ufeff\uffef'
};

// Random text of `chars` characters: mostly ASCII, with BMP characters from the other pools.
const randomText = (rng, chars, unicodeShare = 40) => {
	let text = '';
	for (let i = 0; i < chars; ++i) {
		const pool = rng.int(100) < unicodeShare
			? POOLS[rng.pick(['latin', 'greekCyrillic', 'cjk', 'symbols'])]
			: POOLS.ascii;
		text += pool[rng.int(pool.length)];
	}
	return text;
};
const asciiText = (rng, chars) => randomText(rng, chars, 0);

// endregion

// region 1. keys.json

const generateKeys = () => {
	const rng = new Rng('keys');
	const specials = [
		['0'.repeat(64), 'all-zero private key (accepted by every SDK)'],
		[`${'0'.repeat(62)}01`, 'private key 1'],
		['f'.repeat(64), 'all-0xff private key'],
		[`00${rng.privateKey().slice(2)}`, 'leading zero byte (NIS prints it as 62 hex chars)'],
		[`0000${rng.privateKey().slice(4)}`, 'two leading zero bytes (NIS prints it as 60 hex chars)'],
		[`ff${rng.privateKey().slice(2)}`, 'top bit set (NIS prints it with a 00 prefix)']
	];
	const cases = [];
	for (let i = 0; 200 > i; ++i) {
		const [privateKey, comment] = i < specials.length ? specials[i] : [rng.privateKey(), undefined];
		const publicKey = publicKeyOf(privateKey);
		const entry = { privateKey, publicKey };
		for (const network of ['mainnet', 'testnet', 'mijin']) {
			const address = nemAddress(publicKey, network);
			const pretty = nem.utils.format.address(address);
			entry[network] = address;
			entry[`${network}Pretty`] = pretty;

			check(nem.model.address.isValid(address), `nem-sdk isValid(${address})`);
			check(nem.model.address.isFromNetwork(address, NETWORKS[network].id), `nem-sdk isFromNetwork(${address})`);
			check(nem.model.address.clean(pretty.toLowerCase()) === address, `nem-sdk clean(${pretty})`);
			check(nem.crypto.helpers.checkAddress(privateKey, NETWORKS[network].id, pretty), `nem-sdk checkAddress(${pretty})`);
			if (NETWORKS[network].symbol) {
				const symbolAddress = NETWORKS[network].symbol.network.publicKeyToAddress(new PublicKey(publicKey)).toString();
				check(symbolAddress === address, `${network} address of ${publicKey}: nem-sdk ${address} != symbol-sdk ${symbolAddress}`);
			}
		}
		if (comment)
			entry.comment = comment;
		cases.push(entry);
	}
	return {
		generator: GENERATOR,
		sdk: NEM_SDK,
		crossCheckedWith: SYMBOL_SDK,
		description: 'privateKey (64 hex, canonical big-endian form) -> publicKey and addresses on mainnet (0x68), testnet (0x98) '
			+ 'and mijin (0x60), each also in nem-sdk format.address pretty form. Public keys and mainnet/testnet addresses '
			+ 'were checked equal in symbol-sdk (it has no mijin).',
		cases
	};
};

// endregion

// region 2. sign.json

const L = (1n << 252n) + 27742317777372353535851937790883648493n;
const leToBig = bytes => BigInt(`0x${hex(Uint8Array.from(bytes).reverse()) || '0'}`);
const bigToLe32 = value => unhex(value.toString(16).padStart(64, '0')).reverse();

const generateSign = () => {
	const rng = new Rng('sign');
	const cases = [];
	for (let i = 0; 200 > i; ++i) {
		let length = 100 > i ? i : 100 + rng.int(201);
		if (197 === i) length = 255;
		if (198 === i) length = 256;
		if (199 === i) length = 300;
		const privateKey = rng.privateKey();
		const publicKey = publicKeyOf(privateKey);
		const data = rng.bytes(length);

		const nemSignature = nem.crypto.keyPair.create(privateKey).sign(data).toString();
		const symbolSignature = lower(symbolKeyPair(privateKey).sign(data));
		check(nemSignature === symbolSignature, `signature case ${i}: nem-sdk ${nemSignature} != symbol-sdk ${symbolSignature}`);
		check(true === nemVerify(publicKey, data, symbolSignature), `nem-sdk verify case ${i}`);
		check(true === symbolVerify(publicKey, data, symbolSignature), `symbol-sdk verify case ${i}`);
		if (0 === length) {
			check('throws' === nemVerify(publicKey, '', symbolSignature), 'nem-sdk verifySignature with empty hex string throws');
			note('nem-sdk signs empty data fine (Uint8Array or \'\') and verifySignature accepts an empty Uint8Array, '
				+ 'but verifySignature(pub, \'\', sig) throws "Missing argument !" because \'\' is falsy.');
		}
		cases.push({
			privateKey,
			publicKey,
			data: hex(data),
			signature: symbolSignature,
			signedBy: 0 === length ? SYMBOL_SDK : NEM_SDK
		});
	}

	// Tampered signatures: each must FAIL NIS verification (Ed25519DsaSigner.verify).
	const tampered = [];
	const addTampered = (kind, why, base, publicKey, data, signature, expectNemSdk) => {
		const nemResult = nemVerify(publicKey, data, hex(signature));
		const symbolResult = symbolVerify(publicKey, data, hex(signature));
		check(expectNemSdk === nemResult, `tampered ${kind} (base ${base}): nem-sdk returned ${nemResult}, expected ${expectNemSdk}`);
		check(true !== symbolResult, `tampered ${kind} (base ${base}): symbol-sdk accepted it`);
		tampered.push({
			kind,
			why,
			baseCase: base,
			publicKey,
			data: hex(data),
			signature: hex(signature),
			expectValid: false,
			nemSdk: nemResult,
			symbolSdk: symbolResult
		});
	};
	const bases = [1, 2, 5, 17, 32, 64, 99, 120, 150, 199];
	bases.forEach(base => {
		const { publicKey } = cases[base];
		const data = unhex(cases[base].data);
		const sig = unhex(cases[base].signature);
		const pub = unhex(publicKey);

		const flippedData = data.slice();
		const dataBit = rng.int(data.length * 8);
		flippedData[dataBit >> 3] ^= 1 << (dataBit & 7);
		addTampered('message-bit', `bit ${dataBit} of the message flipped`, base, publicKey, flippedData, sig, false);

		const flippedR = sig.slice();
		const rBit = rng.int(256);
		flippedR[rBit >> 3] ^= 1 << (rBit & 7);
		addTampered('r-bit', `bit ${rBit} of R flipped`, base, publicKey, data, flippedR, false);

		const flippedS = sig.slice();
		const sBit = rng.int(248); // bytes 0..30 of S
		flippedS[32 + (sBit >> 3)] ^= 1 << (sBit & 7);
		const sStillCanonical = leToBig(flippedS.subarray(32)) < L;
		addTampered('s-bit', `bit ${sBit} of S flipped (S ${sStillCanonical ? 'still < L' : 'now >= L'})`, base, publicKey, data, flippedS, false);

		const flippedPub = pub.slice();
		const pBit = rng.int(255); // not the sign bit of x, which some decoders ignore for y=0 corner cases
		flippedPub[pBit >> 3] ^= 1 << (pBit & 7);
		addTampered('pubkey-bit', `bit ${pBit} of the public key flipped`, base, hex(flippedPub), data, sig, false);

		const sPlusL = concat(sig.subarray(0, 32), bigToLe32(leToBig(sig.subarray(32)) + L));
		addTampered('s-plus-l', 'S replaced by S+L: the same equation holds mod L but S is not canonical (NIS requires 0 < S < L); '
			+ 'nem-sdk 1.6.11 wrongly accepts it, symbol-sdk rejects it', base, publicKey, data, sPlusL, true);

		const sZero = concat(sig.subarray(0, 32), new Uint8Array(32));
		addTampered('s-zero', 'S = 0 (NIS rejects S that is not strictly positive)', base, publicKey, data, sZero, false);

		addTampered('zero-pubkey', 'all-zero public key (NIS rejects it; symbol-sdk Verifier throws on it)', base, '0'.repeat(64), data, sig, false);

		const otherPub = cases[(base + 1) % cases.length].publicKey;
		addTampered('wrong-key', 'valid signature checked against another account\'s public key', base, otherPub, data, sig, false);
	});
	{
		const base = 10;
		const data = unhex(cases[base].data);
		const sig = unhex(cases[base].signature);
		addTampered('s-equals-l', 'S = L exactly (non-canonical, reduces to 0)', base, cases[base].publicKey, data,
			concat(sig.subarray(0, 32), bigToLe32(L)), false);
		addTampered('s-all-ff', 'S = 2^256-1 (non-canonical)', base, cases[base].publicKey, data,
			concat(sig.subarray(0, 32), new Uint8Array(32).fill(0xff)), false);
		addTampered('zero-signature', 'all-zero signature', base, cases[base].publicKey, data, new Uint8Array(64), false);
	}
	note('nem-sdk 1.6.11 verifySignature accepts a non-canonical S (S+L); NIS and symbol-sdk reject it (sign.json tampered kind "s-plus-l").');

	return {
		generator: GENERATOR,
		sdk: NEM_SDK,
		crossCheckedWith: SYMBOL_SDK,
		description: 'NIS1 signatures (Ed25519 with Keccak-512 over the reversed private key). cases: valid signatures, message '
			+ 'lengths 0..300; each was produced by both SDKs (byte-identical) and verified by both; signedBy names the SDK whose '
			+ 'output is recorded (symbol-sdk for the empty message, as the brief asked). tampered: signatures NIS must reject '
			+ '(expectValid false); nemSdk/symbolSdk record what each SDK returned (true, false or "throws").',
		cases,
		tampered
	};
};

// endregion

// region 3. cbc.json

const generateCbc = () => {
	const rng = new Rng('cbc');
	const cases = [];
	const exactAsciiLengths = [1, 15, 16, 17, 31, 32, 33, 47, 48, 63, 64, 255, 256, 320];

	const addCase = (text, madeBy, extra = {}) => {
		const senderPriv = rng.privateKey();
		const recipientPriv = rng.privateKey();
		const senderPub = publicKeyOf(senderPriv);
		const recipientPub = publicKeyOf(recipientPriv);
		const salt = rng.bytes(32);
		const iv = rng.bytes(16);
		const plaintextHex = convert.utf8ToHex(text);
		const plaintext = unhex(plaintextHex);

		let payload;
		if (madeBy === NEM_SDK) {
			payload = nem.crypto.helpers._encode(senderPriv, recipientPub, text, iv, salt);
		} else {
			const message = withRandom([salt, iv], () => symbolMessageEncoderDeprecated(senderPriv, recipientPub, plaintext));
			payload = hex(message);
		}

		// symbol-sdk's encodeDeprecated with the same salt/iv must give the same bytes.
		if (madeBy === NEM_SDK) {
			const symbolPayload = hex(withRandom([salt, iv], () => symbolMessageEncoderDeprecated(senderPriv, recipientPub, plaintext)));
			check(symbolPayload === payload, `cbc: symbol-sdk encodeDeprecated != nem-sdk _encode for "${text}"`);
		}
		check(payload.startsWith(hex(salt) + hex(iv)), 'cbc: payload starts with salt|iv');
		check(payload.length / 2 === 48 + (16 * (Math.floor(plaintext.length / 16) + 1)), 'cbc: payload length');

		// nem-sdk decodes from both sides.
		check(nem.crypto.helpers.decode(recipientPriv, senderPub, payload) === plaintextHex, `cbc: nem-sdk decode (recipient) of "${text}"`);
		check(nem.crypto.helpers.decode(senderPriv, recipientPub, payload) === plaintextHex, `cbc: nem-sdk decode (sender) of "${text}"`);
		// symbol-sdk tryDecode (GCM fails, CBC fallback) on the recipient side.
		const decoded = new MessageEncoder(symbolKeyPair(recipientPriv)).tryDecode(new PublicKey(senderPub), encryptedMessage(unhex(payload)));
		check(decoded.isDecoded && hex(decoded.message) === plaintextHex, `cbc: symbol-sdk tryDecode of "${text}"`);

		// Recipe check: key = Keccak-256(point XOR salt), AES-256-CBC/PKCS#7 (Node's OpenSSL).
		const point = sharedPoint(senderPriv, recipientPub);
		check(hex(point) === hex(sharedPoint(recipientPriv, senderPub)), 'cbc: ECDH point is symmetric');
		const key = keccak256(point.map((b, i) => b ^ salt[i]));
		const decipher = nodeCrypto.createDecipheriv('aes-256-cbc', Buffer.from(key, 'hex'), Buffer.from(iv));
		const opensslPlain = Buffer.concat([decipher.update(Buffer.from(payload.slice(96), 'hex')), decipher.final()]);
		check(opensslPlain.toString('hex') === plaintextHex, 'cbc: OpenSSL decrypt with Keccak-256(point ^ salt)');

		cases.push({
			senderPriv,
			senderPub,
			recipientPriv,
			recipientPub,
			salt: hex(salt),
			iv: hex(iv),
			text,
			plaintext: plaintextHex,
			payload,
			sharedPoint: hex(point),
			key,
			madeBy,
			...extra
		});
	};

	for (let i = 0; 100 > i; ++i) {
		let text;
		if (i < exactAsciiLengths.length)
			text = asciiText(rng, exactAsciiLengths[i]);
		else if (0 === i % 5)
			text = asciiText(rng, 1 + rng.int(120));
		else
			text = randomText(rng, 1 + rng.int(100));
		check(convert.utf8ToHex(text) === Buffer.from(text, 'utf8').toString('hex'), `nem-sdk utf8ToHex is UTF-8 for BMP text "${text}"`);
		addCase(text, NEM_SDK);
	}

	// Empty plaintext: nem-sdk refuses it ('Missing argument !'), so symbol-sdk encodeDeprecated made these.
	let nemRefusesEmpty = false;
	try {
		nem.crypto.helpers._encode(rng.privateKey(), publicKeyOf(rng.privateKey()), '', rng.bytes(16), rng.bytes(32));
	} catch (err) {
		nemRefusesEmpty = true;
	}
	check(nemRefusesEmpty, 'nem-sdk _encode refuses an empty message');
	addCase('', SYMBOL_SDK, { comment: 'empty plaintext, made by symbol-sdk encodeDeprecated (nem-sdk refuses empty text); nem-sdk decode returns ""' });
	addCase('', SYMBOL_SDK, { comment: 'empty plaintext, made by symbol-sdk encodeDeprecated (nem-sdk refuses empty text); nem-sdk decode returns ""' });

	// Non-BMP text: nem-sdk encodes each UTF-16 surrogate separately (CESU-8), not UTF-8.
	for (const text of ['sensor 😀 ok', '𝄞 music 🎵 notes']) {
		const cesu = convert.utf8ToHex(text);
		const utf8 = Buffer.from(text, 'utf8').toString('hex');
		check(cesu !== utf8, 'nem-sdk utf8ToHex emits CESU-8 for non-BMP characters');
		addCase(text, NEM_SDK, {
			cesu8: true,
			plaintextUtf8: utf8,
			comment: 'text has non-BMP characters: nem-sdk wrote them as CESU-8 (each surrogate as 3 bytes); plaintext holds those bytes'
		});
	}
	note('nem-sdk converts text with its own utf8ToHex: BMP characters become UTF-8, non-BMP ones CESU-8 (cbc.json cases with cesu8=true).');

	return {
		generator: GENERATOR,
		sdk: NEM_SDK,
		crossCheckedWith: SYMBOL_SDK,
		description: 'Legacy NIS1 encrypted messages (AES-256-CBC, PKCS#7). payload = salt(32)|iv(16)|ciphertext, as nem-sdk '
			+ 'crypto.helpers._encode(senderPriv, recipientPub, text, iv, salt) returns it. plaintext = the bytes nem-sdk encrypted '
			+ '(its utf8ToHex of text). Every payload was decoded by nem-sdk from both sides and by symbol-sdk tryDecode, and '
			+ 'symbol-sdk encodeDeprecated with the same salt/iv gave the same bytes. sharedPoint = ECDH point; key = '
			+ 'Keccak-256(sharedPoint XOR salt), the AES key. madeBy names the SDK whose output is recorded.',
		cases
	};
};

const symbolMessageEncoderDeprecated = (senderPriv, recipientPub, plaintext) => {
	const message = new MessageEncoder(symbolKeyPair(senderPriv)).encodeDeprecated(new PublicKey(recipientPub), plaintext);
	check(models.MessageType.ENCRYPTED === message.messageType, 'encodeDeprecated message type is ENCRYPTED');
	return message.message;
};

// endregion

// region 4. gcm.json

const generateGcm = () => {
	const rng = new Rng('gcm');
	const cases = [];
	for (let i = 0; 100 > i; ++i) {
		let plaintext;
		let kind;
		if (0 === i) {
			plaintext = new Uint8Array(0);
			kind = 'empty';
		} else if (98 === i) {
			plaintext = new Uint8Array(Buffer.from(randomText(rng, 1024, 0), 'utf8'));
			kind = 'text-1KiB';
		} else if (99 === i) {
			plaintext = rng.bytes(1024);
			kind = 'binary-1KiB';
		} else if (97 === i) {
			plaintext = rng.bytes(1023);
			kind = 'binary';
		} else if (0 === i % 2) {
			plaintext = rng.bytes(1 + rng.int(300));
			kind = 'binary';
		} else {
			plaintext = new Uint8Array(Buffer.from(randomText(rng, 1 + rng.int(120)), 'utf8'));
			kind = 'text';
		}

		const senderPriv = rng.privateKey();
		const recipientPriv = rng.privateKey();
		const senderPub = publicKeyOf(senderPriv);
		const recipientPub = publicKeyOf(recipientPriv);
		const iv = rng.bytes(12);

		const encoded = withRandom([iv], () => new MessageEncoder(symbolKeyPair(senderPriv)).encode(new PublicKey(recipientPub), plaintext));
		check(models.MessageType.ENCRYPTED === encoded.messageType, 'gcm: message type is ENCRYPTED (2)');
		const payload = encoded.message;
		check(payload.length === 16 + 12 + plaintext.length, 'gcm: payload is tag|iv|ct with no type byte');
		check(hex(payload.subarray(16, 28)) === hex(iv), 'gcm: recorded iv is the one the SDK used');

		const decoded = new MessageEncoder(symbolKeyPair(recipientPriv)).tryDecode(new PublicKey(senderPub), encryptedMessage(payload));
		check(decoded.isDecoded && hex(decoded.message) === hex(plaintext), `gcm case ${i}: symbol-sdk tryDecode (recipient)`);

		// Recipe check with nem-sdk's ECDH point, Node's HKDF and AES-GCM.
		const point = sharedPoint(senderPriv, recipientPub);
		check(hex(point) === hex(sharedPoint(recipientPriv, senderPub)), 'gcm: ECDH point is symmetric');
		const key = Buffer.from(nodeCrypto.hkdfSync('sha256', point, Buffer.alloc(0), 'nem-nis1', 32));
		const symbolKey = NemFacade.deriveSharedKey(symbolKeyPair(senderPriv), new PublicKey(recipientPub));
		check(hex(symbolKey.bytes) === key.toString('hex'), 'gcm: symbol-sdk deriveSharedKey == HKDF-SHA256(point, info "nem-nis1")');
		const decipher = nodeCrypto.createDecipheriv('aes-256-gcm', key, Buffer.from(iv));
		decipher.setAuthTag(Buffer.from(payload.subarray(0, 16)));
		const opensslPlain = Buffer.concat([decipher.update(Buffer.from(payload.subarray(28))), decipher.final()]);
		check(opensslPlain.toString('hex') === hex(plaintext), `gcm case ${i}: OpenSSL AES-GCM decrypt`);

		cases.push({
			senderPriv,
			senderPub,
			recipientPriv,
			recipientPub,
			iv: hex(iv),
			tag: hex(payload.subarray(0, 16)),
			plaintext: hex(plaintext),
			payload: hex(payload),
			messageType: encoded.messageType.value,
			sharedPoint: hex(point),
			key: key.toString('hex'),
			kind
		});
	}
	return {
		generator: GENERATOR,
		sdk: SYMBOL_SDK,
		crossCheckedWith: NEM_SDK,
		description: 'New NEM encrypted messages from symbol-sdk MessageEncoder.encode(recipientPub, bytes) (nem facade): '
			+ 'AES-256-GCM, key = HKDF-SHA256(ikm = sharedPoint, no salt, info "nem-nis1", 32 bytes), 12-byte IV, no AAD. '
			+ 'payload = the Message.message bytes = tag(16)|iv(12)|ciphertext; it has NO leading type or version byte: the '
			+ 'type (2 = encrypted) is the separate messageType field, exactly as for CBC messages. The IV is random inside the '
			+ 'SDK (impl/CipherHelpers.js crypto.randomBytes(12)); the generator fed it the recorded iv. Each case was decoded '
			+ 'by symbol-sdk tryDecode on the recipient side and by OpenSSL with the key derived from nem-sdk\'s ECDH point.',
		cases
	};
};

// endregion

// region 5. hd.json

const bip39Seed = (mnemonic, passphrase) => new Uint8Array(nodeCrypto.pbkdf2Sync(
	Buffer.from(mnemonic.normalize('NFKD'), 'utf8'),
	Buffer.from(`mnemonic${passphrase}`.normalize('NFKD'), 'utf8'),
	2048,
	64,
	'sha512'
));

const generateHd = () => {
	const rng = new Rng('hd');
	const bip32 = new Bip32(NemFacade.BIP32_CURVE_NAME);
	const passphrases = [
		'', 'TREZOR', 'nemiot', 'pässwörd', 'Ünïcödé Straße', 'パスワード', 'Ａｂｃ ﬁ ①',
		'caf\u00e9', 'cafe\u0301'
	];
	const entropySizes = [16, 32];
	const cases = [];
	let cafeMnemonicEntropy = null;
	for (let i = 0; 30 > i; ++i) {
		let size = entropySizes[i % 2];
		if (24 <= i) size = [20, 24, 28][i % 3];
		let entropy = rng.bytes(size);
		let passphrase = i < passphrases.length ? passphrases[i] : (0 === i % 3 ? '' : rng.pick(passphrases));
		// Cases 7 and 8 share the mnemonic: "café" precomposed and decomposed must give the same seed (NFKD).
		if (7 === i) cafeMnemonicEntropy = { entropy, size };
		if (8 === i) ({ entropy, size } = cafeMnemonicEntropy);
		if (8 === i) passphrase = 'cafe\u0301';

		const mnemonic = withRandom([entropy], () => bip32.random(size));
		check(mnemonic.split(' ').length === size * 3 / 4, 'hd: mnemonic word count');
		const seed = bip39Seed(mnemonic, passphrase);
		const root = bip32.fromMnemonic(mnemonic, passphrase); // bitcore-mnemonic's own PBKDF2 and NFKD
		const rootFromSeed = bip32.fromSeed(seed);
		check(hex(root.privateKey.bytes) === hex(rootFromSeed.privateKey.bytes), `hd case ${i}: seed (PBKDF2-HMAC-SHA512 of NFKD) matches bitcore-mnemonic`);
		check(hex(root.chainCode) === hex(rootFromSeed.chainCode), `hd case ${i}: chain code`);
		const hmacRoot = nodeCrypto.createHmac('sha512', 'ed25519-keccak seed').update(seed).digest();
		check(hex(root.privateKey.bytes) === hex(hmacRoot.subarray(0, 32)), `hd case ${i}: root = HMAC-SHA512("ed25519-keccak seed", seed)`);

		const childSpecs = [
			['mainnet', 0], ['mainnet', 1], ['testnet', 0], [0 === i % 2 ? 'mainnet' : 'testnet', rng.int(0x80000000)]
		];
		const children = childSpecs.map(([network, account]) => {
			const facade = NETWORKS[network].symbol;
			const indices = facade.bip32Path(account);
			const node = root.derivePath(indices);
			const keyPair = NemFacade.bip32NodeToKeyPair(node);
			const privateKey = lower(keyPair.privateKey);
			const publicKey = lower(keyPair.publicKey);
			check(privateKey === reversedHex(hex(node.privateKey.bytes)), 'hd: NEM private key = reverse(node key)');
			check(publicKey === nemPublicKey(privateKey), `hd case ${i}: nem-sdk public key of the child private key`);
			const address = facade.network.publicKeyToAddress(keyPair.publicKey).toString();
			check(address === nemAddress(publicKey, network), 'hd: child address nem-sdk vs symbol-sdk');
			return {
				network,
				path: `m/${indices.map(index => `${index}'`).join('/')}`,
				indices,
				nodeKey: hex(node.privateKey.bytes),
				chainCode: hex(node.chainCode),
				privateKey,
				publicKey,
				address
			};
		});
		cases.push({
			entropy: hex(entropy),
			words: mnemonic.split(' ').length,
			mnemonic,
			passphrase,
			seed: hex(seed),
			rootKey: hex(root.privateKey.bytes),
			rootChainCode: hex(root.chainCode),
			children
		});
	}
	check(cases[7].seed === cases[8].seed, 'hd: NFKD makes "café" precomposed and decomposed passphrases equal');

	// Sanity check of this usage against the official nemtech vector, when /work/shared is present.
	const official = path.join(sharedDir, 'vectors', 'nis1', '6.test-hd-derivation.json');
	if (fs.existsSync(official)) {
		const first = JSON.parse(fs.readFileSync(official, 'utf8')).public_net[0];
		const root = bip32.fromMnemonic(first.mnemonic, first.passphrase);
		first.childAccounts.forEach(child => {
			const pub = lower(NemFacade.bip32NodeToKeyPair(root.derivePath(child.path)).publicKey);
			check(pub === child.publicKey.toLowerCase(), `hd: official nemtech vector child ${child.path}`);
		});
		console.log('hd: official nemtech vector public_net[0] reproduced');
	} else {
		console.log(`hd: ${official} absent, official-vector sanity check skipped`);
	}

	return {
		generator: GENERATOR,
		sdk: SYMBOL_SDK,
		crossCheckedWith: NEM_SDK,
		description: 'BIP39 + NEM BIP32 (symbol-sdk Bip32 with curve "ed25519-keccak" and NemFacade). mnemonic = English BIP39 of '
			+ 'entropy (symbol-sdk Bip32.random fed with the recorded entropy); seed = PBKDF2-HMAC-SHA512(NFKD(mnemonic), '
			+ 'NFKD("mnemonic"+passphrase), 2048, 64). rootKey/rootChainCode = HMAC-SHA512(key "ed25519-keccak seed", seed) '
			+ 'halves. Children: hardened-only derivation along indices (every index is hardened: path shows them with \'); '
			+ 'nodeKey/chainCode = the BIP32 node; privateKey = NemFacade.bip32NodeToKeyPair(node).privateKey = reverse(nodeKey), '
			+ 'a normal NEM private key; publicKey/address from it (nem-sdk agrees). Mainnet uses coin 43, testnet coin 1. '
			+ 'Cases 7 and 8 use the same mnemonic with "café" precomposed and decomposed: same seed.',
		cases
	};
};

// endregion

// region 6. transactions.json

// The NIS JSON fields of a nem-sdk prepared transaction (drops nem-sdk's helper fields and, for
// versions without them, mosaics/minCosignatories, which nem-sdk leaves in the object but does not serialize).
const nisJson = entity => {
	const version = entity.version & 0xffffff;
	const out = {
		type: entity.type,
		version: entity.version,
		timeStamp: entity.timeStamp,
		signer: entity.signer,
		fee: entity.fee,
		deadline: entity.deadline
	};
	switch (entity.type) {
	case 0x101:
		out.recipient = entity.recipient;
		out.amount = entity.amount;
		out.message = { type: entity.message.type, payload: entity.message.payload };
		if (2 <= version)
			out.mosaics = entity.mosaics;
		break;
	case 0x1001:
		out.modifications = entity.modifications.map(m => ({ modificationType: m.modificationType, cosignatoryAccount: m.cosignatoryAccount }));
		if (2 <= version)
			out.minCosignatories = { relativeChange: entity.minCosignatories.relativeChange };
		break;
	case 0x1002:
		out.otherHash = { data: entity.otherHash.data };
		out.otherAccount = entity.otherAccount;
		break;
	case 0x1004:
		out.otherTrans = nisJson(entity.otherTrans);
		break;
	default:
		throw new Error(`unexpected type ${entity.type}`);
	}
	return out;
};

// symbol-sdk descriptor for the same transaction (for the serialization cross-check).
const symbolDescriptor = tx => {
	const common = {
		signerPublicKey: tx.signer,
		fee: BigInt(tx.fee),
		timestamp: tx.timeStamp,
		deadline: tx.deadline
	};
	switch (tx.type) {
	case 0x101: {
		const descriptor = {
			...common, type: 'transfer_transaction_v1', recipientAddress: tx.recipient, amount: BigInt(tx.amount)
		};
		if (tx.message.payload.length)
			descriptor.message = { messageType: 1 === tx.message.type ? 'plain' : 'encrypted', message: unhex(tx.message.payload) };
		return descriptor;
	}
	case 0x1001: {
		const v2 = 2 === (tx.version & 0xffffff);
		const descriptor = {
			...common,
			type: v2 ? 'multisig_account_modification_transaction_v2' : 'multisig_account_modification_transaction_v1',
			modifications: tx.modifications.map(m => ({
				modification: {
					modificationType: 1 === m.modificationType ? 'add_cosignatory' : 'delete_cosignatory',
					cosignatoryPublicKey: m.cosignatoryAccount
				}
			}))
		};
		if (v2)
			descriptor.minApprovalDelta = tx.minCosignatories.relativeChange;
		return descriptor;
	}
	case 0x1002:
		return {
			...common, type: 'cosignature_v1', otherTransactionHash: tx.otherHash.data, multisigAccountAddress: tx.otherAccount
		};
	default:
		throw new Error(`no descriptor for ${tx.type}`);
	}
};

const networkOfVersion = version => ({ 0x68: 'mainnet', 0x98: 'testnet', 0x60: 'mijin' })[(version >>> 24) & 0xff];

const symbolTransaction = (tx, autosort) => {
	const facade = NETWORKS[networkOfVersion(tx.version)].symbol;
	if (0x1004 === tx.type) {
		const inner = symbolTransaction(tx.otherTrans, autosort);
		return facade.transactionFactory.create({
			type: 'multisig_transaction_v1',
			signerPublicKey: tx.signer,
			fee: BigInt(tx.fee),
			timestamp: tx.timeStamp,
			deadline: tx.deadline,
			innerTransaction: TransactionFactory.toNonVerifiableTransaction(inner)
		}, autosort);
	}
	return facade.transactionFactory.create(symbolDescriptor(tx), autosort);
};

// NIS order of modifications: (modificationType, base32 address string of the cosignatory on that network).
const nisSorted = (modifications, network) => modifications.slice().sort((a, b) => {
	if (a.modificationType !== b.modificationType)
		return a.modificationType - b.modificationType;
	const addressA = nemAddress(a.cosignatoryAccount, network);
	const addressB = nemAddress(b.cosignatoryAccount, network);
	return addressA < addressB ? -1 : (addressA > addressB ? 1 : 0);
});

// True when two 4097 (or 4100-wrapped 4097) serializations differ only in the order of their
// 44-byte modification records.
const sameModuloModificationOrder = (aHex, bHex, tx) => {
	if (aHex.length !== bHex.length)
		return false;
	const inner = 0x1004 === tx.type ? tx.otherTrans : tx;
	const start = (0x1004 === tx.type ? 64 : 0) + 60 + 4; // (outer header + inner length) + header + count
	const n = inner.modifications.length;
	const records = h => Array.from({ length: n }, (_, i) => h.slice((start + (44 * i)) * 2, (start + (44 * (i + 1))) * 2)).sort().join();
	const strip = h => h.slice(0, start * 2) + h.slice((start + (44 * n)) * 2);
	return strip(aHex) === strip(bHex) && records(aHex) === records(bHex);
};

// Exact integer form of nem-sdk's fee rules (0.05 XEM units), to flag floating-point surprises.
const integerTransferFee = (amountMicro, payloadBytes) => {
	const units = Math.min(25, Math.max(1, Math.floor(amountMicro / 1e6 / 10000)));
	const messageUnits = payloadBytes ? Math.floor(payloadBytes / 32) + 1 : 0;
	return 50000 * (units + messageUnits);
};

const generateTransactions = () => {
	const rng = new Rng('transactions');
	const cases = [];

	const record = (entry, entity, signerPrivateKey) => {
		const tx = nisJson(entity);
		const bytes = nem.utils.serialization.serializeTransaction(entity);
		const data = hex(bytes);
		const keyPair = nem.crypto.keyPair.create(nem.utils.helpers.fixPrivateKey(signerPrivateKey));
		const signature = keyPair.sign(bytes).toString();
		const hash = keccak256(bytes);
		const network = networkOfVersion(tx.version);
		check(tx.signer === keyPair.publicKey.toString(), `tx ${entry.id}: signer is the signing key`);
		check(true === nemVerify(keyPair.publicKey.toString(), bytes, signature), `tx ${entry.id}: nem-sdk verifies`);

		// Serialization layout sanity (nis.md §6): common header.
		const view = Buffer.from(bytes);
		check(view.readInt32LE(0) === tx.type && view.readInt32LE(4) === tx.version && view.readInt32LE(8) === tx.timeStamp, `tx ${entry.id}: header`);
		check(32 === view.readInt32LE(12) && view.subarray(16, 48).toString('hex') === tx.signer, `tx ${entry.id}: signer bytes`);
		check(Number(view.readBigInt64LE(48)) === tx.fee && view.readInt32LE(56) === tx.deadline, `tx ${entry.id}: fee/deadline`);

		const result = { ...entry, network, signerPrivateKey, tx, data, hash, signature };

		if (NETWORKS[network].symbol) {
			const facade = NETWORKS[network].symbol;
			const sorted = hex(facade.extractSigningPayload(symbolTransaction(tx, true)));
			let symbolTx = symbolTransaction(tx, false);
			let symbolBytes;
			try {
				symbolBytes = hex(facade.extractSigningPayload(symbolTx));
			} catch (err) {
				if (!/not sorted/.test(err.message))
					throw err;
				// symbol-sdk refuses to serialize modifications in NIS order (see the note below). Compare
				// with its own order instead: identical apart from the order of the 44-byte modification records.
				symbolBytes = null;
				symbolTx = null;
				result.symbolSdkCannotSerialize = true;
				check(sameModuloModificationOrder(sorted, data, tx), `tx ${entry.id}: symbol-sdk bytes equal up to modification order`);
			}
			if (symbolTx) {
				check(symbolBytes === data, `tx ${entry.id}: symbol-sdk serialization\n  symbol ${symbolBytes}\n  nem    ${data}`);
				check(lower(facade.hashTransaction(symbolTx)) === hash, `tx ${entry.id}: symbol-sdk hash`);
				check(lower(facade.signTransaction(symbolKeyPair(nem.utils.helpers.fixPrivateKey(signerPrivateKey)), symbolTx)) === signature, `tx ${entry.id}: symbol-sdk signature`);
			}
			if (sorted !== data) {
				result.symbolSdkOrderDiffers = true;
				note('symbol-sdk 3.3.2 sorts multisig modifications by (type, raw 20-byte account hash) and refuses to serialize '
					+ 'any other order ("array passed to write array is not sorted"), while NIS sorts by (type, base32 address '
					+ 'string; digits 2-7 sort before letters) when it deserializes. When the two orders differ symbol-sdk cannot '
					+ 'produce bytes NIS accepts (NIS re-sorts, so the signature no longer matches). transactions.json cases '
					+ 'with symbolSdkOrderDiffers=true show it; nem-sdk and the NIS rule agree on every case.');
			}
		} else {
			result.crossCheck = 'symbol-sdk has no mijin network: serialization not cross-checked';
		}

		if (0x1001 === tx.type || 0x1004 === tx.type) {
			const mods = 0x1001 === tx.type ? tx : tx.otherTrans;
			if (0x1001 === mods.type) {
				const expected = nisSorted(mods.modifications, network);
				check(JSON.stringify(expected) === JSON.stringify(mods.modifications), `tx ${entry.id}: modifications in NIS order`);
			}
		}
		if (0x1004 === tx.type) {
			const innerBytes = nem.utils.serialization.serializeTransaction(entity.otherTrans);
			result.innerData = hex(innerBytes);
			result.innerHash = keccak256(innerBytes);
			check(data.includes(result.innerData), `tx ${entry.id}: inner bytes embedded`);
		}
		cases.push(result);
		return result;
	};

	// --- transfers (type 257, version 1) ---
	const transferSpecs = [
		{ network: 'testnet', amount: 1, message: 'hello nemiot', description: 'plain ASCII message' },
		{ network: 'mainnet', amount: 0, message: '', description: 'zero amount, empty message (message length field 0)' },
		{ network: 'testnet', amount: 0.000001, message: '', description: '1 micro-XEM, empty message' },
		{ network: 'mainnet', amount: 12.345678, message: 'Grüße 日本 ☃', description: 'plain UTF-8 message' },
		{ network: 'testnet', amount: 10000, message: 'x', description: 'fee step at 10,000 XEM' },
		{ network: 'mainnet', amount: 29999.999999, message: 'y', description: 'just below 30,000 XEM' },
		{ network: 'testnet', amount: 250000, message: '', description: 'fee cap (25 units) reached' },
		{ network: 'mainnet', amount: 5000000, message: 'big', description: 'amount above 2^32 micro-XEM' },
		{ network: 'testnet', amount: 8999999999, message: '', description: 'whole XEM supply as amount (int64 high word)' },
		{ network: 'mainnet', amount: 2, encrypt: 'secret command: open', description: 'encrypted (CBC) message' },
		{ network: 'testnet', amount: 0, encrypt: 'Schlüssel ключ 鍵', description: 'encrypted UTF-8 message' },
		{ network: 'mainnet', amount: 1, encrypt: 'L'.repeat(100), description: 'encrypted 100-byte message' },
		{ network: 'testnet', amount: 3, message: 'a'.repeat(31), description: '31-byte message (1 message fee unit)' },
		{ network: 'mainnet', amount: 3, message: 'b'.repeat(32), description: '32-byte message (2 message fee units)' },
		{ network: 'testnet', amount: 3, message: 'c'.repeat(160), description: '160-byte message' },
		{ network: 'mainnet', amount: 0.5, message: 'd'.repeat(320), description: '320-byte message' },
		{ network: 'testnet', amount: 1, hexMessage: '00ff10ab', description: 'nem-sdk messageType 0 with hex input: payload is "fe" + hex' },
		{ network: 'mijin', amount: 7, message: 'mijin', description: 'mijin network (0x60), not cross-checked with symbol-sdk' },
		{ network: 'testnet', amount: 1.5, message: 'pretty', prettyRecipient: true, description: 'recipient given in lower-case pretty form; nem-sdk normalizes it' },
		{ network: 'mainnet', amount: 123456.789, encrypt: 'fifteen bytes!!', description: 'encrypted 15-byte message: fee 12 amount units + 3 message units (64-byte payload)' }
	];
	transferSpecs.forEach((spec, index) => {
		const signerPrivateKey = rng.privateKey();
		const recipientPriv = rng.privateKey();
		const recipientPub = publicKeyOf(recipientPriv);
		const recipientAddress = nemAddress(recipientPub, spec.network);
		const timeStamp = 336477215 - (index * 7919);
		const txInput = nem.model.objects.create('transferTransaction')(
			spec.prettyRecipient ? nem.utils.format.address(recipientAddress).toLowerCase() : recipientAddress,
			spec.amount,
			spec.encrypt || spec.hexMessage || spec.message
		);
		let randomChunks = [];
		let encryption;
		if (spec.encrypt) {
			txInput.messageType = 2;
			txInput.recipientPublicKey = recipientPub;
			const iv = rng.bytes(16);
			const salt = rng.bytes(32);
			randomChunks = [iv, salt]; // nem-sdk crypto.helpers.encode draws the IV first, then the salt
			encryption = {
				recipientPrivateKey: recipientPriv,
				recipientPublicKey: recipientPub,
				salt: hex(salt),
				iv: hex(iv),
				plaintext: convert.utf8ToHex(spec.encrypt)
			};
		} else if (spec.hexMessage) {
			txInput.messageType = 0;
		}
		const common = nem.model.objects.create('common')('', signerPrivateKey);
		const entity = withRandom(randomChunks, () => atNetworkTime(timeStamp, () => nem.model.transactions.prepare('transferTransaction')(common, txInput, NETWORKS[spec.network].id)));
		check(entity.timeStamp === timeStamp, 'tx: pinned timestamp');

		if (encryption) {
			check(entity.message.payload === nem.crypto.helpers._encode(signerPrivateKey, recipientPub, spec.encrypt, unhex(encryption.iv), unhex(encryption.salt)), 'tx: encrypted payload = _encode with recorded iv/salt');
			check(nem.crypto.helpers.decode(recipientPriv, publicKeyOf(signerPrivateKey), entity.message.payload) === encryption.plaintext, 'tx: recipient decodes message');
		}
		const payloadBytes = entity.message.payload.length / 2;
		const expectedFee = integerTransferFee(entity.amount, payloadBytes);
		const entry = {
			id: `transfer-${index + 1}`,
			description: spec.description,
			amountXem: spec.amount
		};
		if (encryption)
			entry.encryption = encryption;
		if (expectedFee !== entity.fee) {
			entry.feeNote = `nem-sdk computed ${entity.fee}; the exact integer rule gives ${expectedFee} (floating point)`;
			note(`nem-sdk fee rounding differs from the integer rule in ${entry.id} (${entity.fee} vs ${expectedFee}).`);
		}
		record(entry, entity, signerPrivateKey);
	});

	// --- multisig aggregate modification (type 4097), signed by the account being converted ---
	const accounts = count => Array.from({ length: count }, () => {
		const priv = rng.privateKey();
		return { priv, pub: publicKeyOf(priv) };
	});
	// symbol-sdk sorts by the raw 20-byte account hash; NIS by the base32 address string.
	const symbolOrderDiffers = (pubs, network) => {
		const nisOrder = pubs.slice().sort((a, b) => (nemAddress(a, network) < nemAddress(b, network) ? -1 : 1));
		const rawOrder = pubs.slice().sort((a, b) => Buffer.compare(
			Buffer.from(nem.model.address.b32decode(nemAddress(a, network))),
			Buffer.from(nem.model.address.b32decode(nemAddress(b, network)))
		));
		return nisOrder.join() !== rawOrder.join();
	};
	// Finds three cosignatories whose NIS order differs from raw-byte order (deterministic search).
	const findOrderDifferingCosigners = network => {
		for (let attempt = 0; 1000 > attempt; ++attempt) {
			const candidates = accounts(3);
			if (symbolOrderDiffers(candidates.map(c => c.pub), network))
				return candidates;
		}
		throw new Error('no order-differing cosignatories found');
	};

	const modificationSpecs = [
		{ network: 'mainnet', cosigners: accounts(1), relativeChange: 1, description: 'conversion to 1-of-1 multisig (version 2)' },
		{ network: 'testnet', cosigners: accounts(3), relativeChange: 2, description: 'conversion to 2-of-3, modifications sorted by address' },
		{ network: 'mainnet', cosigners: accounts(2), relativeChange: 0, description: 'relativeChange 0: nem-sdk emits version 1 (no minCosignatories)' },
		{ network: 'testnet', cosigners: findOrderDifferingCosigners('testnet'), relativeChange: 2, description: 'conversion 2-of-3 where NIS (base32 string) order differs from raw-byte order' },
		{ network: 'testnet', cosigners: accounts(10), relativeChange: 9, description: 'conversion 9-of-10 (largest relativeChange nem-sdk serializes correctly)' }
	];
	modificationSpecs.forEach((spec, index) => {
		const signerPrivateKey = rng.privateKey();
		const timeStamp = 336400000 + (index * 4001);
		const txInput = nem.model.objects.create('multisigAggregateModification')();
		txInput.modifications = spec.cosigners.map(c => nem.model.objects.create('multisigCosignatoryModification')(1, c.pub));
		txInput.relativeChange = spec.relativeChange;
		const common = nem.model.objects.create('common')('', signerPrivateKey);
		const entity = atNetworkTime(timeStamp, () => nem.model.transactions.prepare('multisigAggregateModificationTransaction')(common, txInput, NETWORKS[spec.network].id));
		record({
			id: `multisig-modification-${index + 1}`,
			description: spec.description,
			cosignatoryPrivateKeys: spec.cosigners.map(c => c.priv)
		}, entity, signerPrivateKey);
	});
	// nem-sdk writes relativeChange as Uint32(relativeChange.toString(16)): demonstrate, do not record.
	{
		const probe = relativeChange => {
			const entity = {
				type: 0x1001, version: 0x98000002, timeStamp: 1, signer: '00'.repeat(32), fee: 500000, deadline: 2,
				modifications: [{ modificationType: 1, cosignatoryAccount: '11'.repeat(32) }], minCosignatories: { relativeChange }
			};
			return Buffer.from(nem.utils.serialization.serializeTransaction(entity)).readInt32LE(60 + 4 + 44 + 4);
		};
		const observed = [-9, -1, 9, 10, 15, 16, -10].map(value => [value, probe(value)]);
		check(observed.slice(0, 3).every(([value, written]) => value === written), 'nem-sdk relativeChange -9..9 serialized correctly');
		if (observed.slice(3).some(([value, written]) => value !== written)) {
			note(`nem-sdk 1.6.11 serializes minCosignatories.relativeChange as Uint32(relativeChange.toString(16)), so only -9..9 are `
				+ `right; observed value->written: ${observed.map(([v, w]) => `${v}->${w}`).join(', ')}. Vectors stay within -9..9.`);
		}
	}

	// --- multisig wrapper (4100) around a 4097, signed by a cosignatory ---
	const fixturePath = path.join(sharedDir, 'nis-fixtures', 'request-announce-multisig.json');
	const fixtureKeys = {
		ownerA: '575dbb3062267eff57c970a336ebbc8fbcfe12c5bd3ed7bc11eb0481d7704ced',
		device2of3: 'c325ea529674396db5675939e7988883d59a5fc17a28ca977e3ba85370232a83',
		ownerE: '9dd73599283882fa1561ddfc9be5830b5dd453c90465d3fe5eeb646a3606374e'
	};
	const wrapperSpecs = [
		{
			id: 'multisig-wrapper-1',
			network: 'mainnet',
			signer: fixtureKeys.ownerA,
			multisig: fixtureKeys.device2of3,
			add: [publicKeyOf(fixtureKeys.ownerE)],
			remove: [],
			relativeChange: null,
			timeStamp: 336477095,
			deadlineSeconds: 3600,
			description: 'the /work/shared/nis-fixtures request-announce-multisig.json transaction: owner A proposes adding owner E '
				+ 'to device2of3 (inner 4097 version 1). Deadlines overridden to timeStamp+3600 (nem-sdk would use 24 h on mainnet).'
		},
		{
			id: 'multisig-wrapper-2',
			network: 'testnet',
			signer: rng.privateKey(),
			multisig: rng.privateKey(),
			add: [],
			remove: [publicKeyOf(rng.privateKey())],
			relativeChange: -1,
			timeStamp: 336470000,
			description: 'remove one cosignatory and lower min cosignatories by 1 (relativeChange -1 serialized as int32 -1)'
		},
		{
			id: 'multisig-wrapper-3',
			network: 'mainnet',
			signer: rng.privateKey(),
			multisig: rng.privateKey(),
			add: accounts(2).map(a => a.pub),
			remove: [publicKeyOf(rng.privateKey())],
			relativeChange: 1,
			timeStamp: 336471000,
			description: 'add two cosignatories and remove one, relativeChange +1: sorted by (type, address)'
		}
	];
	const wrappers = wrapperSpecs.map(spec => {
		const multisigPub = publicKeyOf(spec.multisig);
		const txInput = nem.model.objects.create('multisigAggregateModification')();
		txInput.isMultisig = true;
		txInput.multisigAccount = { publicKey: multisigPub };
		txInput.modifications = [
			...spec.remove.map(pub => nem.model.objects.create('multisigCosignatoryModification')(2, pub)),
			...spec.add.map(pub => nem.model.objects.create('multisigCosignatoryModification')(1, pub))
		];
		txInput.relativeChange = spec.relativeChange;
		const common = nem.model.objects.create('common')('', spec.signer);
		const entity = atNetworkTime(spec.timeStamp, () => nem.model.transactions.prepare('multisigAggregateModificationTransaction')(common, txInput, NETWORKS[spec.network].id));
		const entry = { id: spec.id, description: spec.description, multisigPrivateKey: spec.multisig };
		if (spec.deadlineSeconds) {
			entity.deadline = spec.timeStamp + spec.deadlineSeconds;
			entity.otherTrans.deadline = spec.timeStamp + spec.deadlineSeconds;
			entry.overrides = ['deadline', 'otherTrans.deadline'];
		}
		if ('multisig-wrapper-1' === spec.id)
			entry.matchesFixture = 'nis-fixtures/request-announce-multisig.json (data and signature; checked whenever ../shared is present)';
		const result = record(entry, entity, spec.signer);
		if ('multisig-wrapper-1' === spec.id) {
			if (fs.existsSync(fixturePath)) {
				const fixture = JSON.parse(fs.readFileSync(fixturePath, 'utf8'));
				check(fixture.data === result.data, 'fixture request-announce-multisig.json data reproduced by nem-sdk');
				check(fixture.signature === result.signature, 'fixture request-announce-multisig.json signature reproduced by nem-sdk');
				console.log('transactions: nis-fixtures/request-announce-multisig.json reproduced byte for byte');
			} else {
				console.log(`transactions: ${fixturePath} absent, fixture cross-check skipped`);
			}
		}
		return { spec, result, multisigPub };
	});

	// --- multisig signature (4098): another cosignatory approves a wrapper's inner transaction ---
	[wrappers[0], wrappers[2]].forEach(({ spec, result, multisigPub }, index) => {
		const signerPrivateKey = rng.privateKey();
		const multisigAddress = nemAddress(multisigPub, spec.network);
		const txInput = nem.model.objects.create('signatureTransaction')(multisigAddress, result.innerHash);
		const common = nem.model.objects.create('common')('', signerPrivateKey);
		const entity = atNetworkTime(spec.timeStamp + 60, () => nem.model.transactions.prepare('signatureTransaction')(common, txInput, NETWORKS[spec.network].id));
		record({
			id: `multisig-signature-${index + 1}`,
			description: `cosignature (4098) of ${spec.id}'s inner transaction (otherHash = its innerHash)`
		}, entity, signerPrivateKey);
	});

	// Re-check the signed fixture transactions in nis-fixtures (hash = Keccak-256 of nem-sdk serialization, signature verifies).
	const transfersFixture = path.join(sharedDir, 'nis-fixtures', 'account-transfers-all-device1of1.json');
	if (fs.existsSync(transfersFixture)) {
		JSON.parse(fs.readFileSync(transfersFixture, 'utf8')).data.forEach(({ meta, transaction }) => {
			const bytes = nem.utils.serialization.serializeTransaction(transaction);
			check(keccak256(bytes) === meta.hash.data, `fixture ${meta.hash.data}: nem-sdk hash`);
			check(true === nemVerify(transaction.signer, bytes, transaction.signature), `fixture ${meta.hash.data}: signature`);
		});
		console.log('transactions: nis-fixtures/account-transfers-all-device1of1.json hashes and signatures re-checked');
	}

	return {
		generator: GENERATOR,
		sdk: NEM_SDK,
		crossCheckedWith: SYMBOL_SDK,
		description: 'Signed NIS1 transactions prepared by nem-sdk model.transactions.prepare (clock pinned so timeStamp is as '
			+ 'recorded; deadline = timeStamp + 3600 on testnet, + 86400 otherwise, as nem-sdk sets it; fee as nem-sdk computes it). '
			+ 'tx = the NIS JSON fields of the prepared object. data = nem-sdk utils.serialization.serializeTransaction(tx) hex '
			+ '(the bytes that are hashed and signed; no signature inside); hash = Keccak-256(data); signature = NIS1 signature of '
			+ 'data by signerPrivateKey (for 4100 the cosignatory that wraps). For 4100: innerData/innerHash = the inner '
			+ 'transaction bytes and their Keccak-256 (what cosignatures reference). The /transaction/announce body nem-sdk posts is '
			+ '{"data": data, "signature": signature}. '
			+ 'Every mainnet/testnet case was rebuilt in symbol-sdk (same bytes, hash and signature).',
		cases
	};
};

// endregion

// region main

const outputs = {
	'keys.json': generateKeys,
	'sign.json': generateSign,
	'cbc.json': generateCbc,
	'gcm.json': generateGcm,
	'hd.json': generateHd,
	'transactions.json': generateTransactions
};

const results = {};
for (const [name, generate] of Object.entries(outputs)) {
	results[name] = generate();
	console.log(`${name}: ${results[name].cases.length} cases${results[name].tampered ? ` + ${results[name].tampered.length} tampered` : ''}`);
}

if (failures.length) {
	console.error(`\n${failures.length} check(s) failed; nothing written.`);
	process.exit(1);
}

fs.mkdirSync(outDir, { recursive: true });
for (const [name, content] of Object.entries(results)) {
	const text = `${JSON.stringify(content, null, 2)}\n`;
	const size = Buffer.byteLength(text, 'utf8');
	if (size > 1024 * 1024)
		throw new Error(`${name} is ${size} bytes, over 1 MiB`);
	if (/[A-F]/.test(JSON.stringify(content).match(/"[0-9a-fA-F]{64,}"/g)?.join('') || ''))
		throw new Error(`${name} contains upper-case hex`);
	fs.writeFileSync(path.join(outDir, name), text);
	console.log(`wrote ${path.relative(process.cwd(), path.join(outDir, name))} (${size} bytes)`);
}
if (notes.length)
	console.log(`\nSDK quirks observed:\n- ${notes.join('\n- ')}`);

// endregion
