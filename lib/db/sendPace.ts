import type { Queryable } from './types';

export async function ensurePaceRow(q: Queryable, botKey: string): Promise<void> {
	await q.query('INSERT INTO send_pace (bot_key) VALUES ($1) ON CONFLICT (bot_key) DO NOTHING', [botKey]);
}

/**
 * Reserves the bot's next send slot, shared by every process using this database, no earlier
 * than `notBeforeMs` from now and `gapMs` after the previous one. Returns how long to wait
 * (measured on the database's clock, so processes on different hosts agree).
 */
export async function reserveSendSlot(q: Queryable, botKey: string, notBeforeMs: number, gapMs: number): Promise<number> {
	const r = await q.query<{ wait_ms: string }>(
		`UPDATE send_pace
		    SET next_slot = GREATEST(next_slot, clock_timestamp() + make_interval(secs => $2::double precision))
		                    + make_interval(secs => $3::double precision)
		  WHERE bot_key = $1
		  RETURNING EXTRACT(EPOCH FROM (next_slot - make_interval(secs => $3::double precision) - clock_timestamp())) * 1000 AS wait_ms`,
		[botKey, Math.max(0, notBeforeMs) / 1000, gapMs / 1000],
	);
	if (!r.rowCount) return Math.max(0, notBeforeMs);
	return Math.max(0, Number(r.rows[0].wait_ms));
}
