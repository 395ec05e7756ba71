import { onConnection } from './pool';
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
 * Reserves the bot's next `n` send slots, shared by every process using this database: no
 * earlier than `notBeforeMs` from now, and never more than `count` slots in any `windowMs`. The
 * latest `count` are kept in recent_slots (a burst goes at once, up to `count`; noteSlotAnswered
 * moves a slot to its answer, so a message counts until it surely reached Telegram). One round
 * trip for a burst: the senders of one process ask for as many slots as their local window lets
 * go now. The row lock orders two processes asking at once. The wait is measured on the
 * database's clock, so processes on different hosts agree. next_slot keeps its 0.1 meaning (the
 * latest slot plus the pace's gap), read as a floor too, for a process of an older version that
 * shares the database in an upgrade.
 *
 * Why one statement can place several: every slot kept is at most the latest reserved (slots are
 * handed out in order) or an answer time (in the past), so the new slots come after all of them,
 * and the j-th new one needs only the (count - j + 1)-th latest kept slot to be a window old
 * (n ≤ count). Each is a microsecond after the one before, so noteSlotAnswered finds it alone.
 * `notBeforeMs` counts from the call: a statement that waited for a connection asks for what is
 * left of it then, or a busy pool would add its queue to every wait.
 */
export async function reserveSendSlots(q: Queryable, botKey: string, notBeforeMs: number, n: number, count: number, windowMs: number): Promise<SendSlot[]> {
	const askedAt = Date.now();
	const k = Math.max(1, Math.min(Math.floor(n), count));
	const left = () => Math.max(0, notBeforeMs - (Date.now() - askedAt));
	const r = await onConnection(q, (c) =>
		queryNamed<{ wait_ms: string[]; slot_at: Date[]; slot: string[] }>(
			c,
			'gcb_reserve_slots_1',
			`WITH cur AS (
		   SELECT bot_key, ARRAY(SELECT t FROM unnest(recent_slots) t ORDER BY t DESC) AS kept,
		          next_slot - make_interval(secs => $4::double precision / $3::int) AS latest,
		          clock_timestamp() + make_interval(secs => $2::double precision) AS earliest
		     FROM send_pace WHERE bot_key = $1 FOR UPDATE
		 ), pick AS (
		   SELECT j, GREATEST(earliest, latest + interval '1 microsecond', kept[$3::int - j + 1] + make_interval(secs => $4::double precision))
		             + make_interval(secs => (j - 1) / 1e6) AS slot
		     FROM cur, generate_series(1, $5::int) j
		 )
		 UPDATE send_pace p
		    SET recent_slots = ARRAY(SELECT t FROM unnest(cur.kept || (SELECT array_agg(slot) FROM pick)) t ORDER BY t DESC LIMIT $3::int),
		        next_slot = (SELECT max(slot) FROM pick) + make_interval(secs => $4::double precision / $3::int)
		   FROM cur WHERE p.bot_key = cur.bot_key
		 RETURNING (SELECT array_agg(EXTRACT(EPOCH FROM (slot - clock_timestamp())) * 1000 ORDER BY j) FROM pick) AS wait_ms,
		           (SELECT array_agg(slot ORDER BY j) FROM pick) AS slot_at,
		           (SELECT array_agg(slot::text ORDER BY j) FROM pick) AS slot`,
			[botKey, left() / 1000, count, windowMs / 1000, k],
		),
	);
	if (!r.rowCount) return Array.from({ length: k }, () => ({ waitMs: left(), at: null, slot: null }));
	const row = r.rows[0];
	return row.slot.map((slot, i) => ({ waitMs: Math.max(0, Number(row.wait_ms[i])), at: new Date(row.slot_at[i]), slot }));
}

/**
 * The message of `slot` was answered at `answeredAt` (this process's clock): it reached Telegram
 * by then, so it counts in the window from then rather than from its start. Without it a request
 * that took long to arrive could meet the next burst in Telegram's second. The answer's age is
 * taken when the statement leaves (after any wait for a connection) and set back from the
 * database's clock: a busy pool does not push the window later. A slot already out of the latest
 * `count` is left alone.
 */
export async function noteSlotAnswered(q: Queryable, botKey: string, slot: string, answeredAt = Date.now()): Promise<void> {
	await onConnection(q, (c) =>
		queryNamed(
			c,
			'gcb_slot_answered_2',
			`UPDATE send_pace
			    SET recent_slots = ARRAY(SELECT CASE WHEN t = $2::timestamptz THEN GREATEST(t, clock_timestamp() - make_interval(secs => $3::double precision)) ELSE t END
			                               FROM unnest(recent_slots) t ORDER BY 1 DESC)
			  WHERE bot_key = $1 AND $2::timestamptz = ANY(recent_slots)`,
			[botKey, slot, Math.max(0, Date.now() - answeredAt) / 1000],
		),
	);
}
