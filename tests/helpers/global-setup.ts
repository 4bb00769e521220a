import { execFileSync } from 'node:child_process';

// Every test that loads the source page uses the bundle exactly as `npm start` would build it.
export default function setup(): void {
  execFileSync(process.execPath, ['--import', 'tsx', 'scripts/build-client.ts'], { stdio: 'inherit', env: { ...process.env, TSX_DISABLE_CACHE: '1' } });
}
