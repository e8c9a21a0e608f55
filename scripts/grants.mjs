#!/usr/bin/env node
// The `grants` command: runs the TypeScript CLI through tsx in this same process, so signals
// (Ctrl-C) reach it directly and no wrapper process is left behind.
import { register } from 'tsx/esm/api';

register();
await import('../services/cli/main.ts');
