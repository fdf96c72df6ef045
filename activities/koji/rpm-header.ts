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
