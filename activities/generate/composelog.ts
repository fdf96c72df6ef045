// Pungi-style global log (logs/global/pungi.global.log). Lines are kept in
// memory and written on flush(): the log only matters once the compose
// directory is renamed into place, and killed attempts are discarded anyway.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

export type Level = 'INFO' | 'WARNING' | 'ERROR';

const pad = (n: number) => String(n).padStart(2, '0');
/** "YYYY-MM-DD HH:MM:SS" in UTC. */
export function logTimestamp(d = new Date()): string {
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

export class ComposeLog {
  private readonly lines: string[] = [];
  constructor(readonly file: string) {}

  /** Pungi's format: "%(asctime)s [%(levelname)-8s] %(message)s". */
  log(level: Level, message: string) {
    for (const line of message.split('\n')) this.lines.push(`${logTimestamp()} [${level.padEnd(8)}] ${line}\n`);
  }
  info(message: string) {
    this.log('INFO', message);
  }
  warning(message: string) {
    this.log('WARNING', message);
  }
  error(message: string) {
    this.log('ERROR', message);
  }

  async flush(): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true });
    await writeFile(this.file, this.lines.join(''));
  }
}
