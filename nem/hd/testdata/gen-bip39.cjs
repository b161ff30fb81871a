// gen-bip39.cjs writes bip39-vectors.json, the BIP39 cases that nem/hd's tests
// check. Every value comes from the npm package bip39 (3.1.2, bitcoinjs) and is
// cross-checked against a second implementation, bitcore-mnemonic (11.5.1, the
// one symbol-sdk uses); the script stops if the two disagree. Nothing here is
// computed by nemiot's own code.
//
// Run (node >= 18), outside the repository so no node_modules lands in it:
//
//	mkdir /tmp/bip39gen && cd /tmp/bip39gen && npm install bip39@3.1.2 bitcore-mnemonic@11.5.1
//	NODE_PATH=/tmp/bip39gen/node_modules node gen-bip39.cjs > bip39-vectors.json
'use strict';

const crypto = require('crypto');
const bip39 = require('bip39');
const Mnemonic = require('bitcore-mnemonic');

const hex = (b) => Buffer.from(b).toString('hex');

// Entropies of the well-known Trezor BIP39 vector set (python-mnemonic
// vectors.json), which every implementation tests with the passphrase "TREZOR".
const trezorEntropies = [
  '00000000000000000000000000000000',
  '7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f',
  '80808080808080808080808080808080',
  'ffffffffffffffffffffffffffffffff',
  '000000000000000000000000000000000000000000000000',
  '7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f',
  '808080808080808080808080808080808080808080808080',
  'ffffffffffffffffffffffffffffffffffffffffffffffff',
  '0000000000000000000000000000000000000000000000000000000000000000',
  '7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f',
  '8080808080808080808080808080808080808080808080808080808080808080',
  'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
  '9e885d952ad362caeb4efe34a8e91bd2',
  '6610b25967cdcca9d59875f5cb50b0ea75433311869e930b',
  '68a79eaca2324873eacc50cb9c6eca8cc68ea5d936f98787c60c7ebc74e6ce7c',
  'c0ba5a8e914111210f2bd131f3d5e08d',
  '6d9be1ee6ebd27a258115aad99b7317b9c8d28b6d76431c3',
  '9f6a2878b2520799a44ef18bc7df394e7061a224d2c33cd015b157d746869863',
  '23db8160a31d3e97dca3688e1b0f9e86',
  '8197a4a47f0425faeaa69deebc05ca29c0a5b5cc76ceacc0',
  '066dca1a2bb7e8a1db2832148ce9933eea0f3ac9548d793112d9a95c9407efad',
  'f30f8c1da665478f49b001d94c5fc452',
  'c10ec20dc3cd9f652c7fac2f1230f7a3c828389a14392f05',
  'f585c11aec520db57dd353c69554b21a89b20fb0650966fa0a9d6f74fd989d8f',
];

// Passphrases, including ones whose NFKD form differs from what was typed
// (composed accents, a compatibility ligature, half-width katakana).
const passphrases = [
  '',
  'TREZOR',
  'nemiot',
  'caf\u00e9 \u0148emiot',          // NFC: é and ň precomposed
  'cafe\u0301 n\u030cemiot',        // the same text, NFD
  '\ufb01le \u2460 \uff8a\uff9f\uff7d\uff9c\uff70\uff84\uff9e', // ﬁ, ①, half-width katakana
  'p\u00e4ssw\u00f6rd \ud83d\udd11', // non-BMP (emoji)
];

function seedBoth(mnemonic, passphrase) {
  const a = hex(bip39.mnemonicToSeedSync(mnemonic, passphrase));
  const b = new Mnemonic(mnemonic, Mnemonic.Words.ENGLISH).toSeed(passphrase).toString('hex');
  if (a !== b) throw new Error(`seed mismatch for ${mnemonic} / ${JSON.stringify(passphrase)}`);
  return a;
}

function mnemonicBoth(entropyHex) {
  const a = bip39.entropyToMnemonic(entropyHex);
  const b = Mnemonic.fromSeed(Buffer.from(entropyHex, 'hex'), Mnemonic.Words.ENGLISH).toString();
  if (a !== b) throw new Error(`mnemonic mismatch for ${entropyHex}`);
  if (bip39.mnemonicToEntropy(a) !== entropyHex) throw new Error(`entropy round trip for ${entropyHex}`);
  return a;
}

const valid = [];
for (const e of trezorEntropies) {
  const m = mnemonicBoth(e);
  valid.push({ entropy: e, mnemonic: m, passphrase: 'TREZOR', seed: seedBoth(m, 'TREZOR') });
}
// Deterministic pseudo-random entropies of every allowed size (Trezor's set
// has no 15- or 21-word phrases), each with one of the passphrases above.
let n = 0;
for (const size of [16, 20, 24, 28, 32]) {
  for (let i = 0; i < passphrases.length; i++) {
    const e = crypto.createHash('sha256').update(`nemiot bip39 ${size} ${i}`).digest().subarray(0, size).toString('hex');
    const m = mnemonicBoth(e);
    const p = passphrases[(i + n) % passphrases.length];
    valid.push({ entropy: e, mnemonic: m, passphrase: p, seed: seedBoth(m, p) });
  }
  n++;
}

// Invalid phrases with exactly one defect each. kind: "words" (wrong word
// count), "word" (a word not in the list; position is 1-based), "checksum".
// bitcore-mnemonic accepts any multiple of 3 words (a 9-word phrase too),
// whereas BIP39 allows 12 to 24; only bip39 is asked about the word count.
function rejectedByBoth(m, countOnly) {
  if (bip39.validateMnemonic(m)) throw new Error(`bip39 accepts ${m}`);
  if (countOnly) return;
  let ok = false;
  try { ok = Mnemonic.isValid(m, Mnemonic.Words.ENGLISH); } catch (err) { ok = false; } // it throws on some word counts
  if (ok) throw new Error(`bitcore accepts ${m}`);
}
const invalid = [];
const words = bip39.wordlists.english;
for (const v of valid.slice(24, 24 + 5 * passphrases.length).filter((_, i) => i % 3 === 0)) {
  const w = v.mnemonic.split(' ');
  // checksum: replace the last word by the next word in the list until the
  // checksum fails (the first replacement nearly always does).
  for (let k = 1; k < 2048; k++) {
    const last = words[(words.indexOf(w[w.length - 1]) + k) % 2048];
    const m = w.slice(0, -1).concat([last]).join(' ');
    let msg = '';
    try { bip39.mnemonicToEntropy(m); } catch (err) { msg = err.message; }
    if (msg === 'Invalid mnemonic checksum') {
      rejectedByBoth(m);
      invalid.push({ mnemonic: m, kind: 'checksum' });
      break;
    }
  }
  // an unknown word at a position that moves with the case
  const pos = (invalid.length * 5) % w.length;
  const u = w.slice();
  u[pos] = ['abandonx', 'bitcoin', 'zoos', 'Abandon', 'ab'][invalid.length % 5];
  const um = u.join(' ');
  rejectedByBoth(um);
  invalid.push({ mnemonic: um, kind: 'word', position: pos + 1 });
  // wrong word counts: one word dropped, one word added
  for (const m of [w.slice(0, -1).join(' '), w.concat(['abandon']).join(' ')]) {
    rejectedByBoth(m, true);
    invalid.push({ mnemonic: m, kind: 'words' });
  }
}
for (const count of [0, 1, 3, 9, 27, 30]) {
  const m = Array(count).fill('abandon').join(' ');
  rejectedByBoth(m, true);
  invalid.push({ mnemonic: m, kind: 'words' });
}

process.stdout.write(JSON.stringify({
  source: 'npm bip39@3.1.2 cross-checked with bitcore-mnemonic@11.5.1 by gen-bip39.cjs',
  valid,
  invalid,
}, null, 1) + '\n');
