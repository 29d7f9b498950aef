import { serve } from './serve.js';

/** The API process (the image's command): see serve.ts. */
serve('api').catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
