#!/usr/bin/env node
// Generates the sample Apostille archives in ../archives/ and their manifest
// (../archives/manifest.json) for the Go package apostille.
//
// Usage:  cd apostille/testdata/gen && npm ci && node gen-archives.mjs
//
// Every apostille is made by nem-sdk@1.6.11 (model/apostille.js `create`: the
// message, the dedicated account and the prepared transfer), signed and hashed
// the way nem-sdk's `transactions.send` does before announcing, and packed in
// the layout NanoWallet 2.x writes, with jszip@3.0.0 (the exact JSZip build
// NanoWallet vendors in src/vendors/jszip.min.js): for each transaction the
// renamed file then "Certificate of ....png", both STORE and added with
// {base64: true}, and last "Nty-file-<date>.nty", JSON.stringify of the
// browser's whole history {"data": [...]}. The certificate is a small stand-in
// PNG (NanoWallet paints a 2480x3508 canvas; its bytes are opaque to a parser).
//
// The manifest lists what each archive must parse to. Every value in it comes
// from nem-sdk (or from this script's own construction of names, which follows
// NanoWallet's getFileName/getExtension/toShortDate), never from the Go code.
// Hostile archives are crafted at the end with a tiny raw zip writer; for them
// the manifest only names the error the parser must return.
//
// The output is deterministic: keys and contents come from a seeded SHA-256
// counter generator, Date.now is pinned while nem-sdk prepares transactions,
// JSZip entry dates are fixed, and TZ is UTC. Rerunning gives identical files.

process.env.TZ = 'UTC';

import nodeCrypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

import JSZip from 'jszip';
import nemPkg from 'nem-sdk';

const nem = nemPkg.default || nemPkg;
const CryptoJS = nem.crypto.js;

const here = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.resolve(here, '..', 'archives');
const readVersion = name => JSON.parse(fs.readFileSync(path.join(here, 'node_modules', name, 'package.json'), 'utf8')).version;
const NEM_SDK = `nem-sdk@${readVersion('nem-sdk')}`;
const JSZIP = `jszip@${readVersion('jszip')}`;
if (NEM_SDK !== 'nem-sdk@1.6.11') throw new Error(`expected nem-sdk@1.6.11, found ${NEM_SDK}`);
if (JSZIP !== 'jszip@3.0.0') throw new Error(`expected jszip@3.0.0, found ${JSZIP}`);

const failures = [];
const check = (ok, msg) => { if (!ok) { failures.push(msg); console.error(`MISMATCH: ${msg}`); } return ok; };

// region deterministic randomness, keys, time

class Rng {
	constructor(label) { this.label = label; this.counter = 0; this.pool = Buffer.alloc(0); }
	bytes(n) {
		while (this.pool.length < n) {
			const block = nodeCrypto.createHash('sha256').update(`nemiot-apostille-archives/${this.label}/${this.counter++}`).digest();
			this.pool = Buffer.concat([this.pool, block]);
		}
		const out = Buffer.from(this.pool.subarray(0, n));
		this.pool = this.pool.subarray(n);
		return out;
	}
	hex(n) { return this.bytes(n).toString('hex'); }
}

const rng = new Rng('v1');
const NETWORK = { mainnet: nem.model.network.data.mainnet.id, testnet: nem.model.network.data.testnet.id, mijin: nem.model.network.data.mijin.id };

const account = (label, network) => {
	const privateKey = new Rng(`key/${label}`).hex(32);
	const kp = nem.crypto.keyPair.create(privateKey);
	const publicKey = kp.publicKey.toString();
	return { label, privateKey, publicKey, address: nem.model.address.toAddress(publicKey, NETWORK[network]), network, kp };
};

const NEM_EPOCH_MS = Date.UTC(2015, 2, 29, 0, 6, 25, 0);
let clock = Date.UTC(2024, 2, 5, 14, 7, 12); // advances per apostille
const realDateNow = Date.now;
const withClock = fn => { Date.now = () => clock + 250; try { return fn(); } finally { Date.now = realDateNow; } };

// NanoWallet's name helpers (src/app/utils/helpers.js), restated.
const baseName = name => name.replace(/\.[^/.]+$/, '');
const extension = name => name.split('.').pop();
const shortDate = d => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;

const keccak256 = bytes => CryptoJS.SHA3(CryptoJS.enc.Hex.parse(Buffer.from(bytes).toString('hex')), { outputLength: 256 }).toString(CryptoJS.enc.Hex);
const wordArray = buf => CryptoJS.enc.Hex.parse(Buffer.from(buf).toString('hex'));

// region PNG stand-in for the certificate

const crcTable = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
const crc32 = buf => { let c = 0xffffffff; for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
const pngChunk = (type, data) => {
	const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
	const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
	const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(td));
	return Buffer.concat([len, td, crc]);
};
const certificatePng = seed => {
	const w = 8, h = 8, r = new Rng(`png/${seed}`);
	const ihdr = Buffer.alloc(13); ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = 6; // RGBA, as canvas.toDataURL
	const rows = [];
	for (let y = 0; y < h; y++) rows.push(Buffer.concat([Buffer.from([0]), r.bytes(w * 4)]));
	return Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), pngChunk('IHDR', ihdr), pngChunk('IDAT', zlib.deflateSync(Buffer.concat(rows))), pngChunk('IEND', Buffer.alloc(0))]);
};

// region apostilles with nem-sdk

const HASHING = { MD5: [0x01, 'MD5'], SHA1: [0x02, 'SHA1'], SHA256: [0x03, 'SHA256'], 'SHA3-256': [0x08, 'SHA3-256'], 'SHA3-512': [0x09, 'SHA3-512'] };

// makeApostille does what NanoWallet's create page does for one file: nem-sdk
// creates the apostille and prepares the transfer; the transaction is signed
// and hashed as nem-sdk's send does; the nty record and the two entry names are
// built as buildApostille does.
function makeApostille({ owner, name, content, hashing, isPrivate, tags, multisig }) {
	clock += 37_000;
	const common = nem.model.objects.create('common')('', owner.privateKey);
	const fileContent = wordArray(content);
	const a = withClock(() => nem.model.apostille.create(common, name, fileContent, tags, nem.model.apostille.hashing[hashing], !!multisig, multisig ? { publicKey: multisig.publicKey } : '', isPrivate, NETWORK[owner.network]));
	const tx = a.transaction;
	const serialized = nem.utils.serialization.serializeTransaction(tx);
	const signature = owner.kp.sign(serialized).toString();
	const txHash = keccak256(serialized);
	let innerHash = '';
	const transfer = multisig ? tx.otherTrans : tx;
	if (multisig) innerHash = keccak256(nem.utils.serialization.serializeTransaction(tx.otherTrans));
	check(nem.crypto.verifySignature(owner.publicKey, nem.utils.convert.ua2hex(serialized), signature), `${name}: signature does not verify`);

	const message = transfer.message.payload;
	check(message === a.data.hash, `${name}: message payload ${message} != data.hash ${a.data.hash}`);
	check(nem.model.apostille.verify(fileContent, { ...tx, signature }), `${name}: nem-sdk apostille.verify failed`);
	const [version] = HASHING[hashing];
	const versionByte = isPrivate ? version | 0x80 : version;
	check(message.slice(0, 10) === 'fe4e5459' + versionByte.toString(16).padStart(2, '0'), `${name}: message header ${message.slice(0, 10)}`);

	const when = new Date(clock);
	const date = shortDate(when);
	const entryName = `${baseName(name)} -- Apostille TX ${txHash} -- Date ${date}.${extension(name)}`;
	const certificateName = `Certificate of ${baseName(name)} -- TX ${txHash} -- Date ${date}.png`;
	const from = multisig ? nem.model.address.toAddress(multisig.publicKey, NETWORK[owner.network]) : owner.address;
	const record = {
		filename: name,
		tags,
		fileHash: message,
		owner: owner.address,
		fromMultisig: from,
		dedicatedAccount: a.data.dedicatedAccount.address,
		dedicatedPrivateKey: a.data.dedicatedAccount.privateKey,
		txHash,
		txMultisigHash: innerHash,
		timeStamp: when.toUTCString(),
	};
	if (isPrivate) {
		const derived = nem.model.apostille.generateAccount(common, name, NETWORK[owner.network]);
		check(derived.privateKey === record.dedicatedPrivateKey, `${name}: generateAccount differs from create`);
		check(transfer.recipient === record.dedicatedAccount, `${name}: recipient is not the dedicated account`);
	} else {
		const sink = nem.model.sinks.apostille[NETWORK[owner.network]].replace(/-/g, '');
		check(transfer.recipient === sink && record.dedicatedAccount === sink, `${name}: public apostille not sent to the sink`);
	}
	const txJSON = { ...tx, signature };
	return {
		name, content, entryName, certificateName, date, record, certificate: certificatePng(txHash),
		expect: {
			entryName,
			certificateName,
			originalName: name,
			originalNameHex: Buffer.from(name, 'utf8').toString('hex'),
			txHash,
			date,
			hashType: version,
			hashName: hashing,
			private: isPrivate,
			message,
			network: owner.network,
			dedicatedAddress: record.dedicatedAccount,
			dedicatedPrivateKey: isPrivate ? record.dedicatedPrivateKey : null,
			contentHex: Buffer.from(content).toString('hex'),
			owner: { privateKey: owner.privateKey, publicKey: owner.publicKey, address: owner.address },
			multisig: multisig ? { privateKey: multisig.privateKey, publicKey: multisig.publicKey, address: from, innerHash } : null,
			transaction: txJSON,
		},
	};
}

// region archives

const DOS_DATE = new Date(Date.UTC(2024, 2, 5, 14, 30, 0));

async function nanoWalletZip(apostilles, history, { ntyOverride } = {}) {
	const zip = new JSZip();
	for (const a of apostilles) {
		zip.file(a.entryName, Buffer.from(a.content).toString('base64'), { base64: true, date: DOS_DATE });
		zip.file(a.certificateName, a.certificate.toString('base64'), { base64: true, date: DOS_DATE });
	}
	const ntyText = ntyOverride !== undefined ? ntyOverride : JSON.stringify({ data: history });
	zip.file(`Nty-file-${shortDate(new Date(clock))}.nty`, ntyText, { date: DOS_DATE });
	return zip.generateAsync({ type: 'nodebuffer' });
}

const ownerT = account('owner-testnet', 'testnet');
const ownerN = account('owner-mainnet', 'mainnet');
const ownerM = account('owner-mijin', 'mijin');
const strangerT = account('stranger-testnet', 'testnet');
const strangerN = account('stranger-mainnet', 'mainnet');
const multisigT = account('multisig-testnet', 'testnet');

const content = (label, n) => new Rng(`content/${label}`).bytes(n);
const text = s => Buffer.from(s, 'utf8');

// Strangers' records: other people who used the same browser, with their own
// dedicated private keys, as the real .nty carries them.
const strangerRecords = (stranger, n, tag) => {
	const out = [];
	for (let i = 0; i < n; i++) {
		const a = makeApostille({ owner: stranger, name: `stranger ${tag} ${i}.txt`, content: content(`stranger/${tag}/${i}`, 40 + i), hashing: 'SHA256', isPrivate: i % 2 === 0, tags: 'not yours' });
		out.push(a.record);
	}
	return out;
};

const manifest = {
	generator: 'apostille/testdata/gen/gen-archives.mjs',
	nemSdk: NEM_SDK,
	jszip: JSZIP,
	sinks: Object.fromEntries(Object.entries(NETWORK).map(([k, id]) => [k, nem.model.sinks.apostille[id].replace(/-/g, '')])),
	archives: [],
};
const files = new Map();
const emit = (file, bytes, entry) => { files.set(file, bytes); manifest.archives.push({ file, size: bytes.length, ...entry }); };

// One archive per version byte, each with an odd name.
const singles = [
	{ file: 'public-md5.zip', owner: ownerT, name: 'notes  v2 .txt', hashing: 'MD5', isPrivate: false, body: text('two spaces, and one before the dot\n') },
	{ file: 'private-md5.zip', owner: ownerT, name: 'Übersicht – 日本語 ✓.txt', hashing: 'MD5', isPrivate: true, body: text('Grüße aus 東京\n') },
	{ file: 'public-sha1.zip', owner: ownerN, name: 'archive.tar.gz', hashing: 'SHA1', isPrivate: false, body: content('sha1', 300) },
	{ file: 'private-sha1.zip', owner: ownerT, name: 'README', hashing: 'SHA1', isPrivate: true, body: text('no extension at all\n') },
	{ file: 'public-sha256.zip', owner: ownerM, name: 'minutes -- 2024 -- final.md', hashing: 'SHA256', isPrivate: false, body: text('# Minutes -- final\n') },
	{ file: 'private-sha256.zip', owner: ownerT, name: 'device-7.cfg', hashing: 'SHA256', isPrivate: true, body: text('serial=7\nmodel=greenhouse-fan\n') },
	{ file: 'public-keccak256.zip', owner: ownerT, name: '.env', hashing: 'SHA3-256', isPrivate: false, body: text('TOKEN=none\n') },
	{ file: 'private-keccak256.zip', owner: ownerT, name: 'photo -- Apostille TX 06c19b8c53838fdaefb4a04126bc78e0c3ab90db48d8dba43f2063bb02139d69 -- Date 2023-01-01.jpg', hashing: 'SHA3-256', isPrivate: true, body: content('jpg', 200) },
	{ file: 'public-keccak512.zip', owner: ownerT, name: 'data.', hashing: 'SHA3-512', isPrivate: false, body: Buffer.alloc(0) },
	{ file: 'private-keccak512.zip', owner: ownerN, name: 'cafe\u0301 🔒.bin', hashing: 'SHA3-512', isPrivate: true, body: content('bin', 64) },
];
for (const s of singles) {
	const stranger = s.owner.network === 'mainnet' ? strangerN : strangerT;
	const before = s.owner.network === 'mijin' ? [] : strangerRecords(stranger, 2, s.file);
	const a = makeApostille({ owner: s.owner, name: s.name, content: s.body, hashing: s.hashing, isPrivate: s.isPrivate, tags: 'nemiot test' });
	const history = [...before, a.record];
	if (before.length) history[0] = { ...history[0], $$hashKey: 'object:31' };
	emit(s.file, await nanoWalletZip([a], history), { expect: 'ok', strangers: before.length, files: [a.expect] });
}

// A batch of several files, as one NanoWallet download, with multisig ones.
{
	const before = strangerRecords(strangerT, 3, 'batch');
	const batch = [
		makeApostille({ owner: ownerT, name: 'firmware v1.2.3.bin', content: content('fw', 500), hashing: 'SHA256', isPrivate: true, tags: 'firmware' }),
		makeApostille({ owner: ownerT, name: 'README.README', content: text('same base and extension\n'), hashing: 'SHA256', isPrivate: true, tags: 'docs' }),
		makeApostille({ owner: ownerT, name: 'sensor.json', content: text('{"t":21.5}\n'), hashing: 'SHA256', isPrivate: false, tags: 'data' }),
		makeApostille({ owner: ownerT, name: 'multisig-cert.pem', content: text('-----BEGIN NOTHING-----\n'), hashing: 'SHA256', isPrivate: true, tags: 'multisig', multisig: multisigT }),
		makeApostille({ owner: ownerT, name: 'audit.log', content: text('multisig public\n'), hashing: 'SHA1', isPrivate: false, tags: 'multisig', multisig: multisigT }),
	];
	const history = [...before, ...batch.map(a => a.record)];
	emit('batch.zip', await nanoWalletZip(batch, history), { expect: 'ok', strangers: before.length, files: batch.map(a => a.expect) });
}

// region hostile archives

// rawZip writes a zip by hand so that headers can lie. Each entry:
// {name, data (stored bytes), method, crc, csize, usize, zip64: {usize, csize}}.
function rawZip(entries) {
	const locals = [], centrals = [];
	let offset = 0;
	for (const e of entries) {
		const name = Buffer.from(e.name, 'utf8');
		const data = e.data;
		const crc = e.crc ?? crc32(data);
		const csize = e.csize ?? data.length;
		const usize = e.usize ?? data.length;
		let extra = Buffer.alloc(0);
		if (e.zip64) {
			extra = Buffer.alloc(4 + 16);
			extra.writeUInt16LE(0x0001, 0); extra.writeUInt16LE(16, 2);
			extra.writeBigUInt64LE(BigInt(e.zip64.usize), 4); extra.writeBigUInt64LE(BigInt(e.zip64.csize), 12);
		}
		const flags = /[^\x00-\x7f]/.test(e.name) ? 0x0800 : 0;
		const lh = Buffer.alloc(30);
		lh.writeUInt32LE(0x04034b50, 0); lh.writeUInt16LE(e.zip64 ? 45 : 10, 4); lh.writeUInt16LE(flags, 6); lh.writeUInt16LE(e.method ?? 0, 8);
		lh.writeUInt16LE(0x70e6, 10); lh.writeUInt16LE(0x5865, 12); lh.writeUInt32LE(crc, 14);
		lh.writeUInt32LE(e.zip64 ? 0xffffffff : csize, 18); lh.writeUInt32LE(e.zip64 ? 0xffffffff : usize, 22);
		lh.writeUInt16LE(name.length, 26); lh.writeUInt16LE(extra.length, 28);
		const local = Buffer.concat([lh, name, extra, data]);
		const ch = Buffer.alloc(46);
		ch.writeUInt32LE(0x02014b50, 0); ch.writeUInt16LE(20, 4); ch.writeUInt16LE(e.zip64 ? 45 : 10, 6); ch.writeUInt16LE(flags, 8); ch.writeUInt16LE(e.method ?? 0, 10);
		ch.writeUInt16LE(0x70e6, 12); ch.writeUInt16LE(0x5865, 14); ch.writeUInt32LE(crc, 16);
		ch.writeUInt32LE(e.zip64 ? 0xffffffff : csize, 20); ch.writeUInt32LE(e.zip64 ? 0xffffffff : usize, 24);
		ch.writeUInt16LE(name.length, 28); ch.writeUInt16LE(extra.length, 30); ch.writeUInt32LE(offset, 42);
		centrals.push(Buffer.concat([ch, name, extra]));
		locals.push(local);
		offset += local.length;
	}
	const cd = Buffer.concat(centrals);
	const end = Buffer.alloc(22);
	end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(entries.length, 8); end.writeUInt16LE(entries.length, 10);
	end.writeUInt32LE(cd.length, 12); end.writeUInt32LE(offset, 16);
	return Buffer.concat([...locals, cd, end]);
}

{
	const base = makeApostille({ owner: ownerT, name: 'hostile.txt', content: text('hostile base\n'), hashing: 'SHA256', isPrivate: true, tags: 'hostile' });
	const stranger = makeApostille({ owner: strangerT, name: 'other.txt', content: text('other\n'), hashing: 'SHA256', isPrivate: true, tags: 'other' });
	const good = await nanoWalletZip([base], [base.record]);

	emit('hostile-truncated.zip', good.subarray(0, Math.floor(good.length * 0.6)), { expect: 'ErrTruncated' });

	const bomb = zlib.deflateRawSync(Buffer.alloc(8 << 20), { level: 9 });
	emit('hostile-bomb.zip', rawZip([{ name: base.entryName, data: bomb, method: 8, usize: 1024, crc: 0 }]), { expect: 'ErrZipBomb', note: 'DEFLATE entry declaring 1 KiB that inflates to 8 MiB' });

	emit('hostile-declares-4gib.zip', rawZip([{ name: base.entryName, data: Buffer.from('tiny'), zip64: { usize: 4 * 2 ** 30, csize: 4 * 2 ** 30 } }]), { expect: 'ErrEntryTooLarge', note: 'STORE entry whose zip64 sizes declare 4 GiB' });

	{
		const zip = new JSZip();
		zip.file('holiday.jpg', content('holiday', 50), { date: DOS_DATE });
		zip.file(base.certificateName, base.certificate, { date: DOS_DATE });
		zip.file('Nty-file-2024-03-05.nty', JSON.stringify({ data: [base.record] }), { date: DOS_DATE });
		emit('hostile-no-notarized-file.zip', await zip.generateAsync({ type: 'nodebuffer' }), { expect: 'ErrNoNotarizedFile' });
	}

	emit('hostile-nty-not-json.zip', await nanoWalletZip([base], null, { ntyOverride: '{"data":[{"filename":"hostile.txt",' }), { expect: 'ErrNty' });

	{
		const swapped = { ...base.record, dedicatedPrivateKey: stranger.record.dedicatedPrivateKey };
		emit('hostile-key-mismatch.zip', await nanoWalletZip([base], [stranger.record, swapped]), { expect: 'ErrKeyMismatch' });
	}

	{
		const renamed = { ...base.record, filename: 'hostile2.txt' };
		emit('hostile-record-name-mismatch.zip', await nanoWalletZip([base], [renamed]), { expect: 'ErrRecord', note: 'nty filename does not fit the notarized entry name' });
	}

	{
		const zip = new JSZip();
		zip.file(base.entryName, base.content, { date: DOS_DATE });
		for (let i = 0; i < 64; i++) zip.file(`junk-${i}.txt`, 'x', { date: DOS_DATE });
		emit('hostile-too-many-entries.zip', await zip.generateAsync({ type: 'nodebuffer' }), { expect: 'ErrTooManyEntries', note: '65 entries, default cap 64' });
	}

	{
		// nem-sdk given an empty private key signs with the all-zero key, whose
		// dedicated accounts anyone can derive: the record is consistent, but
		// its key is public knowledge.
		const zero = { label: 'zero', privateKey: '', kp: nem.crypto.keyPair.create(nem.utils.helpers.fixPrivateKey('')), network: 'testnet' };
		zero.publicKey = zero.kp.publicKey.toString();
		zero.address = nem.model.address.toAddress(zero.publicKey, NETWORK.testnet);
		check(zero.publicKey === '462ee976890916e54fa825d26bdd0235f5eb5b6a143c199ab0ae5ee9328e08ce', `zero key is ${zero.publicKey}`);
		const z = makeApostille({ owner: zero, name: 'zero.cfg', content: text('made without a key\n'), hashing: 'SHA256', isPrivate: true, tags: 'zero' });
		emit('hostile-zero-owner.zip', await nanoWalletZip([z], [z.record]), { expect: 'ErrKeyMismatch', note: 'private apostille made by nem-sdk with an empty owner key (the all-zero key)' });
	}

	emit('hostile-dotdot.zip', rawZip([{ name: `../${base.entryName}`, data: Buffer.from(base.content) }]), { expect: 'ErrUnsafePath' });
	emit('hostile-absolute.zip', rawZip([{ name: `/tmp/${base.entryName}`, data: Buffer.from(base.content) }]), { expect: 'ErrUnsafePath' });
	emit('hostile-duplicate.zip', rawZip([{ name: base.entryName, data: Buffer.from(base.content) }, { name: base.entryName, data: Buffer.from('other') }]), { expect: 'ErrDuplicate' });
	emit('hostile-bad-crc.zip', rawZip([{ name: base.entryName, data: Buffer.from(base.content), crc: 0x12345678 }]), { expect: 'ErrChecksum' });
}

// region re-zipped archive (made after the hostile ones so that their bytes
// stay as they were)

// A NanoWallet archive a user unpacked and zipped again on macOS: a top-level
// folder with its directory entry, AppleDouble "._" files under __MACOSX/
// (whose names also look notarized), and DEFLATE instead of STORE.
{
	const a = makeApostille({ owner: ownerT, name: 'rezipped unit.cfg', content: text('serial=11\nrezipped=yes\n'), hashing: 'SHA256', isPrivate: true, tags: 'rezipped' });
	const folder = 'NEMsigned -- Do not Edit -- 2024-03-05';
	const zip = new JSZip();
	zip.file(`${folder}/`, null, { dir: true, date: DOS_DATE });
	const opts = { date: DOS_DATE, compression: 'DEFLATE', createFolders: false };
	zip.file(`${folder}/${a.entryName}`, a.content, opts);
	zip.file(`${folder}/${a.certificateName}`, a.certificate, opts);
	zip.file(`${folder}/Nty-file-${a.date}.nty`, JSON.stringify({ data: [a.record] }), opts);
	zip.file('__MACOSX/', null, { dir: true, date: DOS_DATE });
	zip.file(`__MACOSX/${folder}/`, null, { dir: true, date: DOS_DATE, createFolders: false });
	zip.file(`__MACOSX/${folder}/._${a.entryName}`, Buffer.from('0005160700020000', 'hex'), opts);
	zip.file(`__MACOSX/${folder}/._Nty-file-${a.date}.nty`, Buffer.from('0005160700020000', 'hex'), opts);
	const expect = { ...a.expect, entryName: `${folder}/${a.entryName}`, certificateName: `${folder}/${a.certificateName}` };
	emit('rezipped-macos.zip', await zip.generateAsync({ type: 'nodebuffer' }), { expect: 'ok', strangers: 0, files: [expect] });
}

if (failures.length) {
	console.error(`${failures.length} consistency failures; nothing written`);
	process.exit(1);
}

fs.mkdirSync(outDir, { recursive: true });
for (const f of fs.readdirSync(outDir)) if (f.endsWith('.zip') || f === 'manifest.json') fs.unlinkSync(path.join(outDir, f));
let total = 0;
for (const [file, bytes] of files) { fs.writeFileSync(path.join(outDir, file), bytes); total += bytes.length; }
fs.writeFileSync(path.join(outDir, 'manifest.json'), JSON.stringify(manifest, null, '\t') + '\n');
console.log(`wrote ${files.size} archives (${total} bytes) and manifest.json to ${outDir}`);
