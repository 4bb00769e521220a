import { execFileSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import type { TestProject } from 'vitest/node';
import { buildServerBundle } from './server-bundle.ts';

// Every test that loads the source page uses the bundle exactly as `npm start` would build it;
// the servers the tests start as child processes run from one bundle made here (server-bundle.ts).
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  execFileSync(process.execPath, ['--import', 'tsx', 'scripts/build-client.ts'], { stdio: 'inherit', env: { ...process.env, TSX_DISABLE_CACHE: '1' } });
  const dir = await buildServerBundle();
  project.provide('serverBundleDir', dir);
  return () => rm(dir, { recursive: true, force: true });
}
