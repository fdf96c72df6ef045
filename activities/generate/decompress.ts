// Reads a (possibly compressed) metadata file into a string. createrepo_c on
// Debian writes .gz, newer ones default to .zst; Node 20 has no zstd, so
// non-gzip formats go through the system tools.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';

const gunzipAsync = promisify(gunzip);

const TOOLS: Record<string, string[]> = {
  '.zst': ['zstd', '-dcq'],
  '.xz': ['xz', '-dc'],
  '.bz2': ['bzip2', '-dc'],
};

function runTool(cmd: string[], file: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd[0], [...cmd.slice(1), file], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`${cmd[0]} failed on ${file} (exit ${code}): ${err.trim()}`)),
    );
  });
}

export async function readMaybeCompressed(file: string): Promise<string> {
  const ext = /\.[a-z0-9]+$/.exec(file)?.[0] ?? '';
  if (ext === '.gz') return (await gunzipAsync(await readFile(file))).toString('utf8');
  const tool = TOOLS[ext];
  if (tool) return (await runTool(tool, file)).toString('utf8');
  return readFile(file, 'utf8');
}
