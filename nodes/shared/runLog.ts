import { recordRun, type RunRecord } from '../../lib/db/runLog';
import type { Db } from '../../lib/db/pool';

/** Writes the run's application_logs row; a logging failure never fails the node's work. */
export async function logRun(db: Db | undefined, started: number, r: Omit<RunRecord, 'durationMs'>): Promise<void> {
	if (!db) return;
	await recordRun(db.pool, { ...r, durationMs: Date.now() - started }).catch(() => undefined);
}
