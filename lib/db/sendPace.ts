import { queryNamed } from './prepared';
import type { Queryable } from './types';

export async function ensurePaceRow(q: Queryable, botKey: string): Promise<void> {
	await q.query('INSERT INTO send_pace (bot_key) VALUES ($1) ON CONFLICT (bot_key) DO NOTHING', [botKey]);
}

/** A reserved slot: when it is (on the database's clock) and how long to wait for it from now. */
export interface SendSlot {
	waitMs: number;
	/** Null when the bot has no pace row (the local pace alone applies). */
	at: Date | null;
}

/**
 * Reserves the bot's next send slot, shared by every process using this database, no earlier
 * than `notBeforeMs` from now and `gapMs` after the previous one. The wait is measured on the
 * database's clock, so processes on different hosts agree.
 */
export async function reserveSendSlotAt(q: Queryable, botKey: string, notBeforeMs: number, gapMs: number): Promise<SendSlot> {
	const r = await queryNamed<{ wait_ms: string; slot_at: Date }>(
		q,
		'gcb_reserve_slot_1',
		`UPDATE send_pace
		    SET next_slot = GREATEST(next_slot, clock_timestamp() + make_interval(secs => $2::double precision))
		                    + make_interval(secs => $3::double precision)
		  WHERE bot_key = $1
		  RETURNING EXTRACT(EPOCH FROM (next_slot - make_interval(secs => $3::double precision) - clock_timestamp())) * 1000 AS wait_ms,
		            next_slot - make_interval(secs => $3::double precision) AS slot_at`,
		[botKey, Math.max(0, notBeforeMs) / 1000, gapMs / 1000],
	);
	if (!r.rowCount) return { waitMs: Math.max(0, notBeforeMs), at: null };
	return { waitMs: Math.max(0, Number(r.rows[0].wait_ms)), at: r.rows[0].slot_at };
}

/** How long to wait for the bot's next shared send slot (reserveSendSlotAt's wait). */
export async function reserveSendSlot(q: Queryable, botKey: string, notBeforeMs: number, gapMs: number): Promise<number> {
	return (await reserveSendSlotAt(q, botKey, notBeforeMs, gapMs)).waitMs;
}
