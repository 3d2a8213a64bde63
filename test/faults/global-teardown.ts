/** Fault-suite global teardown: prints the summary table, stops the private instances. */
import { existsSync, readFileSync } from 'node:fs';
import { stopInstances, STATE_ENV, type InstancesState } from './support/instances';
import { printSummary, readResults } from './support/report';

export default async function globalTeardown(): Promise<void> {
  const file = process.env[STATE_ENV];
  if (file === undefined || !existsSync(file)) return;
  const state = JSON.parse(readFileSync(file, 'utf8')) as InstancesState;
  try {
    printSummary(readResults(state.dir));
  } finally {
    await stopInstances(state);
  }
}
