import type { NormalisedEvent } from '../payload/normalise';
import { queryNamed } from './prepared';
import type { Queryable } from './types';

export interface InvalidDelivery {
	reason: string;
	source: string;
	rawPayload: unknown;
	status: 'invalid' | 'unauthorized';
}

/**
 * Why a stored event will not notify anybody: its status notifies nobody, it is stale, comments
 * are off, the comment is staff's own reply, or it was adopted as backlog (`init`).
 */
export type SkipReason = 'status' | 'stale' | 'comments_off' | 'staff_comment' | 'backlog';

export interface StoredEvent {
	idempotencyKey: string;
	id: string;
	inserted: boolean;
	resubmission: boolean;
	/** Null when the event waits for Resolve Mentor to notify its mentor. */
	skipReason: SkipReason | null;
}

export interface Delivery {
	event: NormalisedEvent;
	/** Decided from the call alone (status, comments off, staff comment); stale is decided against the database. */
	skip: SkipReason | null;
}

/** Receipts of the same answer and status from the two intake styles this close together are one event. */
export const CROSS_INTAKE_WINDOW_SECONDS = 600;

/**
 * One statement stores a round of calls and decides, per call, against what is stored (SPEC §8):
 *  - redelivery: it repeats the answer's latest stored event (or its latest one that is not
 *    `viewed`, which only says a mentor opened it), or the same answer and status arrived from
 *    the other intake style within 10 minutes → that row's key: ON CONFLICT counts it up;
 *  - otherwise a new event. Its key is the call key; when that key is taken (the same call
 *    stored earlier, e.g. `new` again after `declined` with no text and the same date), it is
 *    the call key plus the id of the latest event it follows. The key is a function of the
 *    stored state, so two identical calls at once get the same key and the unique index keeps
 *    them one row;
 *  - stale: a later-dated event of the answer is stored (a date that was not trusted, or that
 *    is more than a day after its own receipt, does not count): stored, never notifies;
 *  - resubmission: a `new` for an answer seen before, not stale.
 * Invalid deliveries go to error_logs in the same round trip.
 */
const STORE_ROUND_SQL = `
WITH input AS (
  SELECT * FROM (
         SELECT r->>0, (r->>1)::timestamptz, r->>2, r->>3, r->>4, r->>5, r->>6, r->>7, r->>8, r->9, r->>10, r->>11, r->>12, r->>13,
                r->>14, (r->>15)::int, r->>16, r->>17, r->>18, r->>19, ord
           FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS e(r, ord))
    AS t(call_key, event_date, user_id, user_email, answer_id, answer_training_id, answer_lesson_id,
         answer_status, answer_text, raw_payload, event_type, source, lesson_name, training_name, skip, deliveries,
         event_kind, comment_id, author_user_id, date_note, ord)
),
latest AS (
  SELECT i.*,
         la.id AS la_id, la.idempotency_key AS la_key, la.call AS la_call, la.answer_status AS la_status, la.source AS la_source, la.created_at AS la_at,
         lv.idempotency_key AS lv_key, lv.call AS lv_call, lv.answer_status AS lv_status, lv.source AS lv_source, lv.created_at AS lv_at,
         ck.taken AS call_key_taken
    FROM input i
    LEFT JOIN LATERAL (
         SELECT p.id, p.idempotency_key, coalesce(p.call_key, p.idempotency_key) AS call, p.answer_status, p.source, p.created_at
           FROM webhook_events p
          WHERE i.event_kind = 'answer' AND p.answer_id = i.answer_id AND p.event_kind = 'answer'
          ORDER BY p.id DESC LIMIT 1) la ON TRUE
    LEFT JOIN LATERAL (
         SELECT p.idempotency_key, coalesce(p.call_key, p.idempotency_key) AS call, p.answer_status, p.source, p.created_at
           FROM webhook_events p
          WHERE la.answer_status = 'viewed' AND p.answer_id = i.answer_id AND p.event_kind = 'answer'
            AND p.answer_status IS DISTINCT FROM 'viewed'
          ORDER BY p.id DESC LIMIT 1) lv ON TRUE
    -- A lateral lookup, not EXISTS in the CASE below: the planner takes jsonb_array_elements for
    -- 100 rows and, while the table is small, hashed the EXISTS over a scan of all webhook_events
    -- (every call read the whole table: 1.8 ms of execution at 3,000 rows, growing with the table).
    LEFT JOIN LATERAL (
         SELECT TRUE AS taken FROM webhook_events p WHERE p.idempotency_key = i.call_key LIMIT 1) ck ON TRUE
),
keyed AS (
  SELECT l.*,
         CASE
           WHEN l.event_kind <> 'answer' THEN l.call_key
           WHEN l.la_call = l.call_key THEN l.la_key
           WHEN l.lv_call = l.call_key THEN l.lv_key
           WHEN l.la_status = l.answer_status AND l.la_source IN ('tech_api', 'process') AND l.source IN ('tech_api', 'process')
                AND l.la_source <> l.source AND l.la_at > NOW() - make_interval(secs => $6::int) THEN l.la_key
           WHEN l.lv_status = l.answer_status AND l.lv_source IN ('tech_api', 'process') AND l.source IN ('tech_api', 'process')
                AND l.lv_source <> l.source AND l.lv_at > NOW() - make_interval(secs => $6::int) THEN l.lv_key
           WHEN l.call_key_taken THEN l.call_key || '#' || coalesce(l.la_id, 0)
           ELSE l.call_key
         END AS key,
         l.event_kind = 'answer' AND l.la_id IS NOT NULL AND EXISTS ( -- no event of the answer yet: nothing later either
           SELECT 1 FROM webhook_events p
            WHERE p.answer_id = l.answer_id AND p.event_kind = 'answer' AND p.event_date > l.event_date
              AND p.date_note IS NULL AND p.event_date <= coalesce(p.created_at, p.event_date) + interval '1 day') AS stale
    FROM latest l
),
decided AS (
  SELECT k.*,
         k.event_kind = 'answer' AND k.answer_status = 'new' AND k.la_id IS NOT NULL AND NOT k.stale AS resubmission,
         COALESCE(k.skip, CASE WHEN k.stale THEN 'stale' END) AS skip_reason
    FROM keyed k
),
stored AS (
  INSERT INTO webhook_events (idempotency_key, call_key, event_date, user_id, user_email, answer_id, answer_training_id,
         answer_lesson_id, answer_status, answer_text, raw_payload, event_type, source, lesson_name, training_name,
         event_kind, comment_id, author_user_id, date_note, is_resubmission, skip_reason, processed, processed_at, delivery_count)
  SELECT key, call_key, event_date, user_id, user_email, answer_id, answer_training_id, answer_lesson_id,
         answer_status, answer_text, raw_payload, event_type, source, lesson_name, training_name,
         event_kind, comment_id, author_user_id, date_note, resubmission, skip_reason, skip_reason IS NOT NULL,
         CASE WHEN skip_reason IS NOT NULL THEN NOW() END, deliveries
  FROM decided ORDER BY key COLLATE "C" -- one order for every round (no deadlock between two), by bytes: the cheapest sort
  ON CONFLICT (idempotency_key) DO UPDATE SET delivery_count = webhook_events.delivery_count + EXCLUDED.delivery_count
  RETURNING idempotency_key, id, (xmax = 0) AS inserted, is_resubmission, skip_reason
),
logged AS (
  INSERT INTO error_logs (level, source, message, context)
  SELECT 'warning', $2, reason, jsonb_build_object('status', status, 'source', src, 'raw_payload', payload)
  FROM unnest($3::text[], $4::text[], $5::text[], $7::jsonb[]) AS e(reason, status, src, payload)
)
SELECT d.ord::int AS ord, s.idempotency_key, s.id::text AS id, s.inserted, s.is_resubmission, s.skip_reason
  FROM decided d JOIN stored s ON s.idempotency_key = d.key`;

interface Row {
	delivery: Delivery;
	deliveries: number;
	/** Input positions this row stands for (the first one is the call, the others its repeats in the batch). */
	positions: number[];
}

/**
 * Rounds of one batch: a call that repeats the call just before it (same answer, same key) in
 * the batch is one row delivered twice; any other call of an answer already in a round goes
 * into the next round, so it is decided against what the earlier one stored (a `new`, its
 * `declined` and the `new` again in one batch are three events). Almost every batch is one round.
 */
function rounds(deliveries: Delivery[]): Row[][] {
	const out: Row[][] = [];
	const lastOf = new Map<string, { row: Row; round: number }>();
	deliveries.forEach((d, position) => {
		const e = d.event;
		const group = e.kind === 'answer' ? `answer:${e.answerId}` : e.callKey;
		const last = lastOf.get(group);
		if (last && last.row.delivery.event.callKey === e.callKey) {
			last.row.deliveries++;
			last.row.positions.push(position);
			return;
		}
		const round = last ? last.round + 1 : 0;
		const row: Row = { delivery: d, deliveries: 1, positions: [position] };
		(out[round] ??= []).push(row);
		lastOf.set(group, { row, round });
	});
	return out;
}

/** A lone UTF-16 surrogate, as JSON.stringify writes it (an escape whose backslash is not itself escaped). */
const LONE_SURROGATE_ESCAPE = /(?<!\\)((?:\\\\)*)\\u[dD][89a-fA-F][0-9a-fA-F]{2}/g;

/**
 * A round's rows as one JSON document (an array per row, in STORE_ROUND_SQL's order): one
 * JSON.stringify instead of twenty arrays quoted element by element by the driver, which cost
 * more than the INSERT. A text cut in the middle of a surrogate pair (a 20,000-character answer)
 * becomes U+FFFD, as the driver's UTF-8 encoding made of it, instead of an escape jsonb refuses.
 */
function inputDocument(rows: Row[]): string {
	const json = JSON.stringify(
		rows.map(({ delivery: { event: e, skip }, deliveries }) => [
			e.callKey,
			e.eventDate,
			e.userId,
			e.userEmail,
			e.answerId,
			e.trainingId,
			e.lessonId,
			e.status,
			e.text,
			e.rawPayload,
			e.eventType,
			e.source,
			e.lessonName,
			e.trainingName,
			skip,
			deliveries,
			e.kind,
			e.commentId,
			e.authorUserId,
			e.dateNote,
		]),
	);
	return /\\u[dD][89a-fA-F]/.test(json) ? json.replace(LONE_SURROGATE_ESCAPE, '$1\uFFFD') : json;
}

/**
 * Stores valid events (a redelivery only counts up delivery_count) and logs invalid deliveries
 * to error_logs: one statement per round, and one round for almost every batch (see rounds()).
 * Events that do not notify are stored already processed, with the reason. Returns one result
 * per delivery, in order.
 */
export async function storeDeliveries(q: Queryable, deliveries: Delivery[], invalid: InvalidDelivery[], logSource: string): Promise<StoredEvent[]> {
	const results: StoredEvent[] = new Array(deliveries.length);
	const all = rounds(deliveries);
	if (!all.length) all.push([]);
	for (const [n, rows] of all.entries()) {
		const logs = n === 0 ? invalid : [];
		const res = await queryNamed<{ ord: number; idempotency_key: string; id: string; inserted: boolean; is_resubmission: boolean; skip_reason: SkipReason | null }>(
			q,
			'gcb_store_round_1',
			STORE_ROUND_SQL,
			[
				inputDocument(rows),
				logSource,
				logs.map((i) => i.reason),
				logs.map((i) => i.status),
				logs.map((i) => i.source),
				CROSS_INTAKE_WINDOW_SECONDS,
				logs.map((i) => JSON.stringify(i.rawPayload)),
			],
		);
		for (const r of res.rows) {
			const row = rows[r.ord - 1];
			row.positions.forEach((p, k) => {
				results[p] = {
					idempotencyKey: r.idempotency_key,
					id: r.id,
					inserted: r.inserted && k === 0,
					resubmission: r.is_resubmission,
					skipReason: r.skip_reason,
				};
			});
		}
	}
	return results;
}
