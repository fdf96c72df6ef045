// What this server's generator can produce. ODCS would make ISOs and ostree commits with Pungi;
// we refuse them up front with a clear message rather than accept and silently leave them out.
import { ValueError } from './errors.js';
import { COMPOSE_RESULTS, resultsToNames } from './flags.js';

export function assertResultsProducible(results: number): void {
  const unsupported = resultsToNames(results & ~COMPOSE_RESULTS.repository);
  if (unsupported.length) {
    throw new ValueError(`Results other than "repository" cannot be produced by this server: ${unsupported.join(', ')}.`);
  }
}
