// `npm run build`: the browser bundle, exactly as `sealdrop serve` and the tests build it, and the
// CLI's plain-JavaScript bundle that `sealdrop decrypt` starts from (newsroom/cli-bundle.ts).
import { buildClient } from '../server/bundle.ts';
import { buildCliBundle } from '../newsroom/cli-bundle.ts';

await buildClient();
await buildCliBundle();
