import { execFileSync } from 'node:child_process';

// Every test that loads the source page uses the bundle exactly as `npm start` would build it.
export default function setup(): void {
  execFileSync(process.execPath, ['scripts/build-client.js'], { stdio: 'inherit' });
}
