'use strict';
/**
 * The honest peer for the whole job (SPEC §14): a workflow an automation engineer would build with
 * n8n's own nodes, doing what the GetCourse pipeline does for one answer, in the request:
 *
 *   Webhook (POST /webhook/<path>, answers from Respond to Webhook)
 *   → Postgres: store the call (INSERT … ON CONFLICT (idempotency_key) DO NOTHING RETURNING id)
 *   → Postgres: the mentor at the event date (students → mapping valid then → mentor valid now)
 *   → Telegram: sendMessage to the mentor's chat (n8n's Telegram node, a loopback Bot API)
 *   → Respond to Webhook: { ok: true }
 *
 * It keeps its events in a table of its own (bench_hand_events) so the GetCourse pipeline never
 * claims them; it reads the same reference tables.
 */

const HAND_TABLE = 'bench_hand_events';

const handTableSql = (schemaQ) => `CREATE TABLE ${schemaQ}.${HAND_TABLE} (
	id bigserial PRIMARY KEY, idempotency_key text NOT NULL UNIQUE, event_date timestamptz NOT NULL,
	user_id text NOT NULL, answer_id text NOT NULL, payload jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`;

/**
 * @param {object} o
 * @param {string} o.id, o.path, o.schemaQ (quoted schema), o.pgCredential, o.telegramCredential (names)
 */
function handbuiltWorkflow({ id, path, schemaQ, pgCredential, telegramCredential, settings }) {
	const node = (n, name, type, typeVersion, x, parameters, extra = {}) => ({
		id: `c0000000-0000-4000-8000-00000000000${n}`,
		name,
		type,
		typeVersion,
		position: [x, 0],
		parameters,
		...extra,
	});
	const pg = { postgres: { id: null, name: pgCredential } };
	return {
		id,
		name: 'Bench — hand-built: Webhook → Postgres → Postgres → Telegram → Respond',
		nodes: [
			node(1, 'Webhook', 'n8n-nodes-base.webhook', 2.1, 0, { httpMethod: 'POST', path, responseMode: 'responseNode', options: {} }, { webhookId: 'c0000000-0000-4000-8000-0000000000aa' }),
			node(
				2,
				'Store',
				'n8n-nodes-base.postgres',
				2.6,
				220,
				{
					operation: 'executeQuery',
					query: `INSERT INTO ${schemaQ}.${HAND_TABLE} (idempotency_key, event_date, user_id, answer_id, payload)
VALUES ($1, ($2::timestamp AT TIME ZONE 'Europe/Moscow'), $3, $4, $5::jsonb)
ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, user_id, event_date`,
					options: {
						queryReplacement:
							'={{ [ "answer:" + $json.body.answer_id + ":" + $json.body.answer_status, $json.body.event_date, $json.body.user_id, $json.body.answer_id, JSON.stringify($json.body) ] }}',
					},
				},
				{ credentials: pg },
			),
			node(
				3,
				'Mentor at the event date',
				'n8n-nodes-base.postgres',
				2.6,
				440,
				{
					operation: 'executeQuery',
					query: `SELECT m.telegram_id::text AS chat_id, coalesce(s.first_name, s.email) AS student
  FROM ${schemaQ}.students s
  JOIN ${schemaQ}.mapping mp ON lower(mp.student_email) = lower(s.email) AND mp.valid_from <= $2::timestamptz AND $2::timestamptz < mp.valid_to
  JOIN ${schemaQ}.mentors m ON lower(m.email) = lower(mp.mentor_email) AND m.valid_from <= now() AND now() < m.valid_to
 WHERE s.user_id = $1 AND s.valid_from <= now() AND now() < s.valid_to
 ORDER BY mp.valid_from DESC LIMIT 1`,
					options: { queryReplacement: '={{ [ $json.user_id, new Date($json.event_date).toISOString() ] }}' },
				},
				{ credentials: pg },
			),
			node(
				4,
				'Telegram',
				'n8n-nodes-base.telegram',
				1.2,
				660,
				{
					resource: 'message',
					operation: 'sendMessage',
					chatId: '={{ $json.chat_id }}',
					text: '={{ "Новая домашняя работа от " + $json.student + ": " + $("Webhook").item.json.body.answer_text }}',
					additionalFields: { appendAttribution: false, parse_mode: 'HTML' },
				},
				{ credentials: { telegramApi: { id: null, name: telegramCredential } } },
			),
			node(5, 'Respond to Webhook', 'n8n-nodes-base.respondToWebhook', 1.5, 880, { respondWith: 'json', responseBody: '={{ { ok: true } }}', options: {} }),
		],
		connections: {
			Webhook: { main: [[{ node: 'Store', type: 'main', index: 0 }]] },
			Store: { main: [[{ node: 'Mentor at the event date', type: 'main', index: 0 }]] },
			'Mentor at the event date': { main: [[{ node: 'Telegram', type: 'main', index: 0 }]] },
			Telegram: { main: [[{ node: 'Respond to Webhook', type: 'main', index: 0 }]] },
		},
		settings,
		pinData: {},
	};
}

module.exports = { HAND_TABLE, handTableSql, handbuiltWorkflow };
