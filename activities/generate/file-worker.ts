// Worker thread of file-threads.ts. Places package files into compose trees, one slice per
// message: each file is first checked against its metadata when asked (GENERATE_VERIFY size or
// header: filecheck.ts), then hard-linked to its destinations, with synchronous calls (a few
// microseconds each from the page cache). Derives one metadata type of a compose's trees per
// message (derive.ts), asynchronously, so slices and a cancel are taken in between. Answers each
// job with its result or its first failure.
import { constants, copyFileSync, linkSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { deriveMdType } from './derive.js';
import { GenerationError } from './errors.js';
import type { FileJob, FileJobResult } from './file-jobs.js';
import { checkFile, decodeFileChecks } from './filecheck.js';

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

const failure = (e: unknown): FileJobResult['failure'] => {
  const err = e as NodeJS.ErrnoException;
  return { message: err.message, generation: e instanceof GenerationError, code: err.code };
};

/** Derive jobs running, by id. */
const running = new Map<number, AbortController>();

parentPort!.on('message', (job: FileJob) => {
  if (job.kind === 'cancel') return void running.get(job.target)?.abort(new Error('derivation cancelled'));
  if (job.kind === 'derive') {
    const ctl = new AbortController();
    running.set(job.id, ctl);
    deriveMdType(job.job, ctl.signal).then(
      (files) => parentPort!.postMessage({ id: job.id, files } satisfies FileJobResult),
      (e) => parentPort!.postMessage({ id: job.id, failure: failure(e) } satisfies FileJobResult),
    ).finally(() => running.delete(job.id));
    return;
  }
  const reply: FileJobResult = { id: job.id };
  try {
    if (job.checks) for (const f of decodeFileChecks(job.checks)) checkFile(f, job.mode ?? 'header');
    const paths = job.links.split('\0');
    for (let i = 0; i + 1 < paths.length; i += 2) linkOrCopy(paths[i], paths[i + 1]);
  } catch (e) {
    reply.failure = failure(e);
  }
  parentPort!.postMessage(reply);
});
