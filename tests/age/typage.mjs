// A thin command line over typage (npm age-encryption), the independent implementation
// the tests check agepy's post-quantum hybrid against.
//   node typage.mjs DIR keygen              -> {"identity": …, "recipient": …}
//   node typage.mjs DIR encrypt RECIPIENT [armor] < plaintext > age file
//   node typage.mjs DIR decrypt IDENTITY < age file (binary or armored) > plaintext
//   node typage.mjs DIR batch < [{"op": "encrypt"|"decrypt", "key": …, "armor": bool,
//                                 "data": base64}, …] > [{"data": base64} | {"error": …}, …]
//     (many encryptions/decryptions in one node start; each job fails on its own)
import { readFileSync, writeSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [dir, command, key, mode] = process.argv.slice(2);
const age = await import(pathToFileURL(`${dir}/age-encryption/dist/index.js`).href);

function output(bytes) {
  let offset = 0;
  while (offset < bytes.length) offset += writeSync(1, bytes, offset);
}

async function encrypt(recipient, plaintext, armored) {
  const encrypter = new age.Encrypter();
  encrypter.addRecipient(recipient);
  const sealed = await encrypter.encrypt(plaintext);
  return armored ? Buffer.from(age.armor.encode(sealed)) : sealed;
}

async function decrypt(identity, data) {
  const text = Buffer.from(data.subarray(0, 100)).toString("latin1").trimStart();
  if (text.startsWith("-----BEGIN AGE ENCRYPTED FILE-----")) {
    data = age.armor.decode(Buffer.from(data).toString("latin1"));
  }
  const decrypter = new age.Decrypter();
  decrypter.addIdentity(identity);
  return await decrypter.decrypt(data);
}

if (command === "keygen") {
  const identity = await age.generateHybridIdentity();
  const recipient = await age.identityToRecipient(identity);
  output(Buffer.from(JSON.stringify({ identity, recipient })));
} else if (command === "encrypt") {
  output(await encrypt(key, new Uint8Array(readFileSync(0)), mode === "armor"));
} else if (command === "decrypt") {
  output(await decrypt(key, new Uint8Array(readFileSync(0))));
} else if (command === "batch") {
  const results = [];
  for (const job of JSON.parse(readFileSync(0, "utf8"))) {
    const data = new Uint8Array(Buffer.from(job.data, "base64"));
    try {
      const out =
        job.op === "encrypt" ? await encrypt(job.key, data, job.armor) : await decrypt(job.key, data);
      results.push({ data: Buffer.from(out).toString("base64") });
    } catch (error) {
      results.push({ error: String(error) });
    }
  }
  output(Buffer.from(JSON.stringify(results)));
} else {
  process.stderr.write(`unknown command ${command}\n`);
  process.exit(2);
}
