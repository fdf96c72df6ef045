// Child process of the closure benchmark (bench/closure.ts): resolves one request from a source
// repository with the generator's own code, twice (cold, then from the parsed-source cache), and
// prints the timings, the closure size and the process's peak RSS as one JSON line. Plain
// JavaScript, so that it runs the way production runs: `node` on the compiled modules of dist/
// (argument 1: their directory); under `node --import tsx` it takes the TypeScript sources instead.
import { readFileSync } from 'node:fs';
import path from 'node:path';

const [modules, repo, namesFile] = process.argv.slice(2);
const { readRepo } = await import(path.join(modules, 'repodata.js'));
const { resolveClosure } = await import(path.join(modules, 'closure.js'));
const packages = JSON.parse(readFileSync(namesFile, 'utf8'));
const startRssKb = process.memoryUsage().rss >> 10;

async function once() {
  const t0 = performance.now();
  const source = await readRepo(repo);
  const t1 = performance.now();
  const [s] = await resolveClosure({ packages, noDeps: false }, ['x86_64'], [source], [], () => {});
  return { ms: performance.now() - t0, parseMs: t1 - t0, closure: s.selected.length, unresolved: s.unresolved.length };
}

const cold = await once();
const cached = await once();
console.log(JSON.stringify({ cold, cached, startRssKb, maxRssKb: process.resourceUsage().maxRSS }));
