// Given to `node --import` by the specs that interrupt a command while its code loads (support.ts,
// startGrantsHeldWhileLoading): registers holdLoadHooks.mjs, which holds the loading of one module.
import { register } from 'node:module';

register('./holdLoadHooks.mjs', import.meta.url);
