// `npm run build`: the browser bundle, exactly as `sealdrop serve` and the tests build it, and the
// CLI's plain-JavaScript bundle that every `sealdrop` command starts from (scripts/cli-bundle.ts).
import { buildClient } from '../server/bundle.ts';

await buildClient();
// Only a speed-up: without it (node_modules read-only, say, or a source that does not compile
// while someone edits it) every command runs through tsx. Loaded here so that such a source
// cannot stop the browser bundle.
await import('./cli-bundle.ts')
  .then(({ buildCliBundle }) => buildCliBundle())
  .catch((error: Error) => console.error(`No bundle for the sealdrop command (it will run through tsx): ${error.message}`));
