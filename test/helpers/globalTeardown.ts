import { rm } from 'node:fs/promises';

export default async function globalTeardown(): Promise<void> {
  const state = globalThis.__RUNLEDGER_PG__;
  if (!state) return;
  await state.server?.stop();
  if (state.dataDir) await rm(state.dataDir, { recursive: true, force: true });
}
