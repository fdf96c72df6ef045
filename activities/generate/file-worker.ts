// Worker thread of file-threads.ts: places package files into compose trees, one slice per
// message: each file is first checked against its metadata when asked (GENERATE_VERIFY size or
// header: filecheck.ts), then hard-linked to its destinations, with synchronous calls (a few
// microseconds each from the page cache). Answers each slice with nothing or its first failure.
import { constants, copyFileSync, linkSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { GenerationError } from './errors.js';
import { checkFile, decodeFileChecks } from './filecheck.js';

/**
 * `checks`: encodeFileChecks' text of the slice's files to check as `mode` says (empty: none);
 * `links`: source and destination paths, NUL-separated in turn.
 */
export interface FileJob {
  id: number;
  mode?: 'header' | 'size';
  checks: string;
  links: string;
}

export interface FileJobResult {
  id: number;
  failure?: { message: string; generation: boolean; code?: string };
}

/** A hard link; a copy (reflinked where the file system can) across file systems or where links are refused. */
function linkOrCopy(src: string, dest: string): void {
  try {
    linkSync(src, dest);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new GenerationError(`Package file ${src} listed in repository metadata does not exist.`);
    // EXDEV: another file system; EPERM: fs.protected_hardlinks; EMLINK: too many links.
    if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'EMLINK') throw e;
    copyFileSync(src, dest, constants.COPYFILE_FICLONE);
  }
}

parentPort!.on('message', (job: FileJob) => {
  const reply: FileJobResult = { id: job.id };
  try {
    if (job.checks) for (const f of decodeFileChecks(job.checks)) checkFile(f, job.mode ?? 'header');
    const paths = job.links.split('\0');
    for (let i = 0; i + 1 < paths.length; i += 2) linkOrCopy(paths[i], paths[i + 1]);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    reply.failure = { message: err.message, generation: e instanceof GenerationError, code: err.code };
  }
  parentPort!.postMessage(reply);
});
