import { randomUUID } from 'node:crypto';
import { COALESCIBLE_TYPES } from '../notify/types';
import { transactionOn } from './pool';
import type { Queryable } from './types';

export interface ClaimedNotification {
	id: string;
	chat_id: string;
	message: string;
	/** The inline keyboard to send with it (a lesson link), or null; a row with one is never put in a digest. */
	reply_markup: object | null;
	type: string;
	/** NULL for a staff-chat row. */
	mentor_id: string | null;
	attempts: number;
	claim_token: string;
	/** The chat may get its next message this many milliseconds after the claim (chat_pace). */
	ready_in_ms: number;
	/** A group's latest send starts, milliseconds before the claim (chat_pace.recent). */
	recent_ms_ago: number[];
}

export interface ClaimOptions {
	/** Take only what can go out within this many seconds per chat (at least one message each). */
	horizonSeconds: number;
	/** Least time between two messages to one chat. */
	chatGapMs: number;
	/** Most messages a group gets within the horizon (its messages a minute). */
	groupPerWindow: number;
	/** Types sent as one digest per chat when addressed to a staff chat (mentor_id NULL); claimed by size, not by count. */
	coalescible: readonly string[];
	/** Characters one digest message carries (Telegram allows 4096; headers take the rest). */
	digestChars: number;
	/** Most rows of one chat going into digests per claim. */
	maxDigestRows: number;
}

export const DEFAULT_CLAIM_OPTIONS: ClaimOptions = {
	horizonSeconds: 5,
	chatGapMs: 1100,
	groupPerWindow: 20,
	coalescible: COALESCIBLE_TYPES,
	digestChars: 3800,
	maxDigestRows: 500,
};

const CLAIMABLE = `(n.status = 'pending' AND (n.next_attempt_at IS NULL OR n.next_attempt_at <= NOW())
                     OR n.status = 'sending' AND n.locked_until < NOW())`;

/**
 * Claims fairly across chats. The waiting chats are walked one index probe each (a loose index
 * scan of idx_notifications_chat_queue, so 300 rows of one chat cost one probe, not 300). A chat
 * is skipped while another run holds it (one of its messages is `sending` under a live lease) or
 * while its next turn (chat_pace) is beyond the horizon; otherwise it offers the messages that
 * fit in the horizon at its pace (1.1 s apart, and no more than its minute allows a group), oldest first. The batch
 * takes every chat's first message before any chat's second (ORDER BY rn), so a busy chat never
 * fills a batch. Staff-chat rows (mentor_id NULL) of coalescible types are taken by length: as
 * many as fill the digest messages the chat can get within the horizon.
 *
 * A row taken back from `sending` (its run died, or could not record the answer before the lease
 * ran out) may already have reached Telegram: it is counted in uncertain_sends.
 *
 * Cost (bench/RESULTS.md §4): about 17 ms for a backlog of 100,000 rows over 501 chats (one of
 * them a staff group with 10,000 alerts), most of it the per-chat look-ups; well under 1 ms for
 * the few hundred rows a school has waiting.
 */
export const CLAIM_SQL = `
WITH RECURSIVE chats AS (
    (SELECT split_part(chat_id, ':', 1) AS chat FROM notifications
      WHERE status IN ('pending', 'sending') AND split_part(chat_id, ':', 1) IS NOT NULL
      ORDER BY 1 LIMIT 1)
  UNION ALL
    SELECT (SELECT split_part(n.chat_id, ':', 1) FROM notifications n
             WHERE n.status IN ('pending', 'sending') AND split_part(n.chat_id, ':', 1) > c.chat
             ORDER BY 1 LIMIT 1)
      FROM chats c WHERE c.chat IS NOT NULL
),
ready AS (
    SELECT c.chat,
           GREATEST(COALESCE(EXTRACT(EPOCH FROM p.next_at - clock_timestamp())::float8, 0), 0) AS wait_s,
           CASE WHEN c.chat LIKE '-%' OR c.chat LIKE '@%' THEN $6::int ELSE 2147483647 END AS most,
           ARRAY(SELECT EXTRACT(EPOCH FROM clock_timestamp() - t)::float8 * 1000 FROM unnest(p.recent) AS r(t)) AS recent_ms_ago
      FROM chats c
      LEFT JOIN chat_pace p ON p.chat_id = c.chat
     WHERE c.chat IS NOT NULL
       AND (p.next_at IS NULL OR p.next_at <= clock_timestamp() + make_interval(secs => $4::float8))
       AND NOT EXISTS (SELECT 1 FROM notifications s
                        WHERE s.status = 'sending' AND split_part(s.chat_id, ':', 1) = c.chat AND s.locked_until >= NOW())
),
slots AS (
    SELECT chat, wait_s, recent_ms_ago,
           LEAST(most, GREATEST(1, floor(LEAST(($4::float8 - wait_s) / GREATEST($5::float8, 0.001), 100000))::int + 1)) AS k
      FROM ready
),
plain AS (
    SELECT x.id, x.rn, s.wait_s, s.recent_ms_ago FROM slots s
    CROSS JOIN LATERAL (
        SELECT n.id, row_number() OVER (ORDER BY n.id) AS rn
          FROM notifications n
         WHERE n.status IN ('pending', 'sending') AND split_part(n.chat_id, ':', 1) = s.chat
           AND ${CLAIMABLE} AND NOT (n.mentor_id IS NULL AND n.type = ANY ($7::text[]) AND n.reply_markup IS NULL)
         ORDER BY n.id
         LIMIT s.k) x
    ORDER BY x.rn, x.id
    LIMIT $1::int
),
digest AS (
    SELECT z.id, s.wait_s, s.recent_ms_ago FROM slots s
    CROSS JOIN LATERAL (
        SELECT y.id FROM (
            SELECT n.id, sum(length(n.message) + 2) OVER (ORDER BY n.id) - (length(n.message) + 2) AS before
              FROM notifications n
             WHERE n.status IN ('pending', 'sending') AND n.mentor_id IS NULL AND split_part(n.chat_id, ':', 1) = s.chat
               AND ${CLAIMABLE} AND n.type = ANY ($7::text[]) AND n.reply_markup IS NULL
             ORDER BY n.id
             LIMIT $9::int) y
         WHERE y.before < s.k * $8::int) z
),
nochat AS (
    SELECT n.id, 0::float8 AS wait_s, '{}'::float8[] AS recent_ms_ago FROM notifications n
     WHERE n.status IN ('pending', 'sending') AND split_part(n.chat_id, ':', 1) IS NULL AND ${CLAIMABLE}
     ORDER BY n.id LIMIT $1::int
),
picked AS (
    SELECT id, wait_s, recent_ms_ago FROM plain UNION ALL SELECT id, wait_s, recent_ms_ago FROM digest
    UNION ALL SELECT id, wait_s, recent_ms_ago FROM nochat
)
UPDATE notifications n
   SET status = 'sending', claim_token = $3::uuid, attempts = n.attempts + 1,
       locked_until = NOW() + make_interval(secs => $2::int),
       uncertain_sends = n.uncertain_sends + CASE WHEN n.status = 'sending' THEN 1 ELSE 0 END,
       last_uncertain_at = CASE WHEN n.status = 'sending' THEN NOW() ELSE n.last_uncertain_at END
  FROM picked p
 WHERE n.id = p.id
   AND n.id IN (SELECT l.id FROM notifications l WHERE l.id IN (SELECT id FROM picked) FOR UPDATE SKIP LOCKED)
RETURNING n.id::text AS id, n.chat_id, n.message, n.reply_markup, n.type, n.mentor_id::text AS mentor_id, n.attempts, n.claim_token::text AS claim_token, p.wait_s * 1000 AS ready_in_ms, p.recent_ms_ago`;

/**
 * Claims sendable notifications (see CLAIM_SQL). Claims take turns under a transaction-scoped
 * advisory lock (a few milliseconds each), so two runs never both see a chat as free and take it.
 */
export async function claimNotifications(
	q: Queryable,
	limit: number,
	leaseSeconds: number,
	options: Partial<ClaimOptions> = {},
): Promise<ClaimedNotification[]> {
	const o = { ...DEFAULT_CLAIM_OPTIONS, ...options };
	const token = randomUUID();
	const rows = await transactionOn(q, async (c) => {
		await c.query(`SELECT pg_advisory_xact_lock(hashtext('getcourse-bot:claim-notifications:' || current_schema()))`);
		const res = await c.query<ClaimedNotification>(CLAIM_SQL, [
			limit,
			leaseSeconds,
			token,
			o.horizonSeconds,
			o.chatGapMs / 1000,
			o.groupPerWindow,
			[...o.coalescible],
			o.digestChars,
			o.maxDigestRows,
		]);
		return res.rows;
	});
	return rows.map((r) => ({ ...r, ready_in_ms: Number(r.ready_in_ms), recent_ms_ago: (r.recent_ms_ago ?? []).map(Number) })).sort((a, b) => Number(a.id) - Number(b.id));
}
