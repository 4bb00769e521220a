// `npm run build`: the browser bundle, exactly as `sealdrop serve` and the tests build it, and the
// CLI's plain-JavaScript bundle that `sealdrop decrypt` starts from (newsroom/cli-bundle.ts).
import { buildClient } from '../server/bundle.ts';
import { buildCliBundle } from '../newsroom/cli-bundle.ts';

await buildClient();
// Only a speed-up: without it (node_modules read-only, say) `sealdrop decrypt` runs through tsx.
await buildCliBundle().catch((error: Error) => console.error(`No bundle for sealdrop decrypt (it will run through tsx): ${error.message}`));
