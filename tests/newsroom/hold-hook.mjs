// Loaded with --import into a `sealdrop decrypt` under test (tests/newsroom/decrypt-interrupt.test.ts),
// to hold the run at a known point until the test stops it: the part whose file name ends with
// HOLD_TEST_PART is never handed to a thread (so the run neither finishes nor fails), and
// a write to a file ending with HOLD_TEST_WRITE never ends (HOLD_TEST_HELD is created then).
import { writeFileSync } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { isMainThread, Worker } from 'node:worker_threads';

const part = process.env.HOLD_TEST_PART;
const write = process.env.HOLD_TEST_WRITE;
if (isMainThread && part) {
  const post = Worker.prototype.postMessage;
  Worker.prototype.postMessage = function (message, transfer) {
    if (typeof message?.object === 'string' && message.object.endsWith(part)) return;
    return post.call(this, message, transfer);
  };
}
if (isMainThread && write) {
  const fsp = createRequire(import.meta.url)('node:fs/promises');
  const writeFile = fsp.writeFile;
  fsp.writeFile = (file, ...rest) => {
    if (!String(file).endsWith(write)) return writeFile(file, ...rest);
    writeFileSync(process.env.HOLD_TEST_HELD, '');
    setInterval(() => undefined, 1 << 30); // the process waits here until it is stopped
    return new Promise(() => undefined);
  };
  syncBuiltinESMExports();
}
