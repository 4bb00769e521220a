// `npm run build`: the browser bundle, exactly as `sealdrop serve` and the tests build it.
import { buildClient } from '../server/bundle.ts';

await buildClient();
