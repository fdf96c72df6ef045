/**
 * A failure caused by the compose request itself (missing packages, broken
 * dependencies, bad source repo). Its message becomes the compose's failure
 * reason and retrying cannot help, so callers must not retry it.
 */
export class GenerationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GenerationError';
  }
}
