#!/usr/bin/env node
// The `sealdrop` command. Sealdrop runs its TypeScript directly through tsx, so there is no build to go stale.
import { register } from 'tsx/esm/api';

register();
await import('../server/cli.ts');
