// Worker thread of file-threads.ts: links package files into compose trees and checks them
// against their metadata (GENERATE_VERIFY size or header: filecheck.ts), one slice per message,
// with synchronous calls (a few microseconds each from the page cache). Answers each slice with
// nothing or its first failure.
import { constants, copyFileSync, linkSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { GenerationError } from './errors.js';
import { checkFile, decodeFileChecks } from './filecheck.js';

/** `items`: for link, source and destination paths NUL-separated in turn; for check, encodeFileChecks' text. */
export interface FileJob {
  id: number;
  kind: 'link' | 'check';
  mode?: 'header' | 'size';
  items: string;
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
    if (job.kind === 'link') {
      const paths = job.items.split('\0');
      for (let i = 0; i + 1 < paths.length; i += 2) linkOrCopy(paths[i], paths[i + 1]);
    } else {
      for (const f of decodeFileChecks(job.items)) checkFile(f, job.mode ?? 'header');
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    reply.failure = { message: err.message, generation: e instanceof GenerationError, code: err.code };
  }
  parentPort!.postMessage(reply);
});
