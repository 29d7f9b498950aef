/** `pnpm --filter @shelfwatch/e2e lighthouse [url]`: scores a running server, or starts one on the build. */
import { startServer } from '../support/server.ts';
import { runLighthouse } from './run-lighthouse.ts';

const given = process.argv[2];
const server = given ? undefined : await startServer();
try {
  const scores = await runLighthouse(given ?? `${server!.baseURL}/`);
  console.log(JSON.stringify(scores, null, 2));
} finally {
  await server?.stop();
}
