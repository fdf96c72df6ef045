// Child process of the closure benchmark (bench/closure.ts): resolves one request from a source
// repository with the generator's own code, twice (cold, then from the parsed-source cache), and
// prints the timings, the closure size and the process's peak RSS as one JSON line.
import { readRepo } from '../activities/generate/repodata.js';
import { resolveClosure } from '../activities/generate/index.js';

const [repo, namesJson] = process.argv.slice(2);
const packages = JSON.parse(namesJson) as string[];

async function once(): Promise<{ ms: number; closure: number; unresolved: number }> {
  const t0 = performance.now();
  const source = await readRepo(repo);
  const [s] = await resolveClosure({ packages, noDeps: false }, ['x86_64'], [source], [], () => {});
  return { ms: performance.now() - t0, closure: s.selected.length, unresolved: s.unresolved.length };
}

const cold = await once();
const cached = await once();
console.log(JSON.stringify({ cold, cached, maxRssKb: process.resourceUsage().maxRSS }));
