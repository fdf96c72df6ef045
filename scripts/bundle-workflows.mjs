#!/usr/bin/env node
// Writes dist/workflow-bundle.js, the compose and provider workflows bundled once at build time, so
// the compiled worker loads them instead of running webpack at every start (worker/workers.ts).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn: (m) => process.stderr.write(`[bundle] ${m}\n`), error: (m) => process.stderr.write(`[bundle] ${m}\n`) };
const { code } = await bundleWorkflowCode({ workflowsPath: path.join(dist, 'workflows', 'index.js'), logger: quiet });
fs.writeFileSync(path.join(dist, 'workflow-bundle.js'), code);
