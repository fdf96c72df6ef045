// Load generator for bench/post-throughput.ts, run in a worker thread so that the client's own
// work (undici, JSON) does not share the event loop of the in-process API it measures.
// Message in: { url, body, total, concurrency }. Message out: { elapsedMs, latencies, statuses, firstError }.
import { parentPort } from 'node:worker_threads';

parentPort.on('message', async ({ url, body, total, concurrency }) => {
  const latencies = [];
  const statuses = {};
  let firstError = null;
  let next = 0;
  const one = async () => {
    while (next < total) {
      next++;
      const t0 = performance.now();
      try {
        const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
        const text = await res.text();
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        if (res.status !== 200 && !firstError) firstError = `HTTP ${res.status}: ${text.slice(0, 500)}`;
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
