// Entry point of the workflow bundle: every workflow type the worker registers.
export { composeWorkflow } from './compose.js';
export { reconcileWorkflow } from './reconcile.js';
export { collectGarbage, refreshAll, refreshPackageCaches, refreshProvider } from './providers.js';
