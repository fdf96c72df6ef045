// Koji's `payloadhash` of an RPM is its SIGMD5: the MD5 of everything after the signature header
// (the main header and the payload). Computing it from a downloaded file checks that the file is the
// one Koji knows, whether or not it has been signed since (signing only rewrites the signature header).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';

const LEAD_SIZE = 96;
const HEADER_MAGIC = Buffer.from([0x8e, 0xad, 0xe8, 0x01]);

/** Byte offset of the main header: after the lead and the (8-byte padded) signature header. */
export async function rpmMainHeaderOffset(file: string): Promise<number> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(LEAD_SIZE + 16);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    if (bytesRead < buf.length || buf.readUInt32BE(0) !== 0xedabeedb) throw new Error(`${file} is not an RPM file`);
    if (!buf.subarray(LEAD_SIZE, LEAD_SIZE + 4).equals(HEADER_MAGIC)) throw new Error(`${file} has no RPM signature header`);
    const indexCount = buf.readUInt32BE(LEAD_SIZE + 8);
    const dataSize = buf.readUInt32BE(LEAD_SIZE + 12);
    const sigSize = 16 + indexCount * 16 + dataSize;
    return LEAD_SIZE + sigSize + ((8 - (sigSize % 8)) % 8);
  } finally {
    await fh.close();
  }
}

/** Lower-case hex MD5 of header + payload, comparable to Koji's rpminfo `payloadhash`. */
export async function rpmPayloadHash(file: string): Promise<string> {
  const start = await rpmMainHeaderOffset(file);
  const hash = createHash('md5');
  for await (const chunk of createReadStream(file, { start })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Where the main header lies in the file, as createrepo_c writes it in `<rpm:header-range>`. */
export async function rpmHeaderRange(file: string): Promise<{ start: number; end: number }> {
  const start = await rpmMainHeaderOffset(file);
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(16);
    const { bytesRead } = await fh.read(buf, 0, 16, start);
    if (bytesRead < 16 || !buf.subarray(0, 4).equals(HEADER_MAGIC)) throw new Error(`${file} has no RPM main header`);
    return { start, end: start + 16 + buf.readUInt32BE(8) * 16 + buf.readUInt32BE(12) };
  } finally {
    await fh.close();
  }
}

const RPMSIGTAG_MD5 = 1004;

/** The SIGMD5 the file's signature header records (lower-case hex), or null when it has none. */
export async function rpmStoredSigMd5(file: string): Promise<string | null> {
  const fh = await open(file, 'r');
  try {
    const head = Buffer.alloc(16);
    await fh.read(head, 0, 16, LEAD_SIZE);
    if (!head.subarray(0, 4).equals(HEADER_MAGIC)) throw new Error(`${file} has no RPM signature header`);
    const count = head.readUInt32BE(8);
    const dataSize = head.readUInt32BE(12);
    if (count > 1000 || dataSize > 64 << 20) throw new Error(`${file} has an implausible signature header`);
    const body = Buffer.alloc(count * 16 + dataSize);
    const { bytesRead } = await fh.read(body, 0, body.length, LEAD_SIZE + 16);
    if (bytesRead < body.length) throw new Error(`${file} is truncated in its signature header`);
    for (let i = 0; i < count; i++) {
      if (body.readUInt32BE(i * 16) !== RPMSIGTAG_MD5) continue;
      const offset = body.readUInt32BE(i * 16 + 8);
      const at = count * 16 + offset;
      if (at + 16 > body.length) throw new Error(`${file} has a bad SIGMD5 entry`);
      return body.subarray(at, at + 16).toString('hex');
    }
    return null;
  } finally {
    await fh.close();
  }
}
