// A thin command line over typage (npm age-encryption), the independent implementation
// the tests check agepy's post-quantum hybrid against.
//   node typage.mjs DIR keygen              -> {"identity": …, "recipient": …}
//   node typage.mjs DIR encrypt RECIPIENT [armor] < plaintext > age file
//   node typage.mjs DIR decrypt IDENTITY < age file (binary or armored) > plaintext
import { readFileSync, writeSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [dir, command, key, mode] = process.argv.slice(2);
const age = await import(pathToFileURL(`${dir}/age-encryption/dist/index.js`).href);

function output(bytes) {
  let offset = 0;
  while (offset < bytes.length) offset += writeSync(1, bytes, offset);
}

if (command === "keygen") {
  const identity = await age.generateHybridIdentity();
  const recipient = await age.identityToRecipient(identity);
  output(Buffer.from(JSON.stringify({ identity, recipient })));
} else if (command === "encrypt") {
  const encrypter = new age.Encrypter();
  encrypter.addRecipient(key);
  const sealed = await encrypter.encrypt(new Uint8Array(readFileSync(0)));
  output(mode === "armor" ? Buffer.from(age.armor.encode(sealed)) : sealed);
} else if (command === "decrypt") {
  let data = new Uint8Array(readFileSync(0));
  const text = Buffer.from(data.subarray(0, 100)).toString("latin1").trimStart();
  if (text.startsWith("-----BEGIN AGE ENCRYPTED FILE-----")) {
    data = age.armor.decode(Buffer.from(data).toString("latin1"));
  }
  const decrypter = new age.Decrypter();
  decrypter.addIdentity(key);
  output(await decrypter.decrypt(data));
} else {
  process.stderr.write(`unknown command ${command}\n`);
  process.exit(2);
}
