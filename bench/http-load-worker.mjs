// Load generator for the HTTP benchmarks (bench/post-throughput.ts, bench/odcs-peer.ts), run in a
// worker thread so that the client's own work (undici, JSON) does not share the event loop of an
// in-process API it measures.
// Message in: { url | urls, method = 'POST', body | bodies, total, concurrency } (urls and bodies are
// taken in turn).
// Message out: { elapsedMs, latencies, statuses, firstError }.
import { parentPort } from 'node:worker_threads';

parentPort.on('message', async ({ url, urls, method = 'POST', body, bodies, total, concurrency }) => {
  const targets = urls ?? [url];
  const payloads = bodies ?? [body];
  const latencies = [];
  const statuses = {};
  let firstError = null;
  let next = 0;
  const one = async () => {
    while (next < total) {
      const i = next++;
      const target = targets[i % targets.length];
      const t0 = performance.now();
      try {
        const init = method === 'GET' ? { method } : { method, body: payloads[i % payloads.length], headers: { 'content-type': 'application/json' } };
        const res = await fetch(target, init);
        const text = await res.text();
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        if (res.status !== 200 && !firstError) firstError = `${method} ${target}: HTTP ${res.status}: ${text.slice(0, 500)}`;
      } catch (err) {
        statuses.error = (statuses.error ?? 0) + 1;
        firstError ??= String(err?.stack ?? err);
      }
      latencies.push(performance.now() - t0);
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, one));
  parentPort.postMessage({ elapsedMs: performance.now() - start, latencies, statuses, firstError });
});
