// message.mjs: reads NEM transfer messages the way an owner's NanoWallet
// does, with nem-sdk 1.6.11 (the library NanoWallet is built on). It is the
// JavaScript side of the Go test talk.TestInteropNemSDK: a device's
// encrypted message must decrypt here to the JSON the device wrote.
//
// Usage: node message.mjs < requests.json
//   requests: [{"recipient": "<private key hex>", "sender": "<public key hex>", "payload": "<hex>"}, …]
//   answers:  [{"text": "<decrypted UTF-8 text>"}, …] on stdout
import fs from 'node:fs';
import nemPkg from 'nem-sdk';

const nem = nemPkg.default || nemPkg;
const requests = JSON.parse(fs.readFileSync(0, 'utf8'));
const answers = requests.map(({ recipient, sender, payload }) => {
	// What NanoWallet does for an incoming encrypted message: decode with
	// the recipient's key and the sender's public key, then hex → UTF-8.
	const hex = nem.crypto.helpers.decode(recipient, sender, payload);
	return { text: Buffer.from(hex, 'hex').toString('utf8') };
});
process.stdout.write(JSON.stringify(answers));
