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
	/** The slot as the database wrote it (microseconds), to find it again in noteSlotAnswered. */
	slot: string | null;
}

/**
 * Reserves the bot's next send slot, shared by every process using this database: no earlier
 * than `notBeforeMs` from now, and never more than `count` slots in any `windowMs`. The latest
 * `count` are kept in recent_slots (a burst goes at once, up to `count`; noteSlotAnswered moves a
 * slot to its answer, so a message counts until it surely reached Telegram). The row lock orders
 * two processes asking at once. The wait is measured on the database's clock, so processes on
 * different hosts agree. next_slot keeps its 0.1 meaning (the latest slot plus the pace's gap),
 * read as a floor too, for a process of an older version that shares the database in an upgrade.
 */
export async function reserveSendSlotAt(q: Queryable, botKey: string, notBeforeMs: number, count: number, windowMs: number): Promise<SendSlot> {
	const r = await queryNamed<{ wait_ms: string; slot_at: Date; slot: string }>(
		q,
		'gcb_reserve_slot_2',
		`WITH cur AS (
		   SELECT bot_key, recent_slots, next_slot - make_interval(secs => $4::double precision / $3::int) AS latest,
		          clock_timestamp() + make_interval(secs => $2::double precision) AS earliest
		     FROM send_pace WHERE bot_key = $1 FOR UPDATE
		 ), pick AS (
		   SELECT bot_key, recent_slots,
		          GREATEST(earliest, latest,
		                   (SELECT t FROM unnest(recent_slots) t ORDER BY t DESC OFFSET $3::int - 1 LIMIT 1) + make_interval(secs => $4::double precision)) AS slot
		     FROM cur
		 )
		 UPDATE send_pace p
		    SET recent_slots = ARRAY(SELECT t FROM unnest(pick.recent_slots || pick.slot) t ORDER BY t DESC LIMIT $3::int),
		        next_slot = pick.slot + make_interval(secs => $4::double precision / $3::int)
		   FROM pick WHERE p.bot_key = pick.bot_key
		 RETURNING EXTRACT(EPOCH FROM (pick.slot - clock_timestamp())) * 1000 AS wait_ms, pick.slot AS slot_at, pick.slot::text AS slot`,
		[botKey, Math.max(0, notBeforeMs) / 1000, count, windowMs / 1000],
	);
	if (!r.rowCount) return { waitMs: Math.max(0, notBeforeMs), at: null, slot: null };
	return { waitMs: Math.max(0, Number(r.rows[0].wait_ms)), at: r.rows[0].slot_at, slot: r.rows[0].slot };
}

/**
 * The message of `slot` was answered: it reached Telegram by now, so it counts in the window from
 * now (the database's clock) rather than from its start. Without it a request that took long to
 * arrive could meet the next burst in Telegram's second. A slot already out of the latest
 * `count` is left alone.
 */
export async function noteSlotAnswered(q: Queryable, botKey: string, slot: string): Promise<void> {
	await queryNamed(
		q,
		'gcb_slot_answered_1',
		`UPDATE send_pace
		    SET recent_slots = ARRAY(SELECT CASE WHEN t = $2::timestamptz THEN GREATEST(t, clock_timestamp()) ELSE t END FROM unnest(recent_slots) t ORDER BY 1 DESC)
		  WHERE bot_key = $1 AND $2::timestamptz = ANY(recent_slots)`,
		[botKey, slot],
	);
}
