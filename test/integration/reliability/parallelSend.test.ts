/**
 * Four Send Pending executions at once over 1,000 notifications → 1,000 messages, none twice:
 * in one process (they take turns, lib/telegram/activeRuns.ts) and in four (pools of their own,
 * as queue-mode workers: PostgreSQL's claims keep them apart).
 */
import { Pool } from 'pg';
import { closeAllPools, poolConfig } from '../../../lib/db/pool';
import { sendPending } from '../../../lib/telegram/sendPending';
import { GetCourseSendPending } from '../../../nodes/GetCourseSendPending/GetCourseSendPending.node';
import { createTestDb, type TestDb } from '../../support/db';
import { runNode } from '../../support/nodeContext';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createTelegramPeer } = require('../../support/telegram-peer');

const TOKEN = '333444555:AAreliabilityParallelSendToken_x';
const peer = createTelegramPeer({ token: TOKEN });
let t: TestDb;
let baseUrl: string;
const q = (sql: string, v: unknown[] = []) => t.db.pool.query(sql, v);

const queueThousand = () =>
	q(
		`INSERT INTO notifications (mentor_id, type, message, chat_id, message_hash)
		 SELECT 1, 'homework_submitted', 'n#' || g, (6000000 + g % 250)::text, md5('par' || g) FROM generate_series(0, 999) g`,
	);

beforeAll(async () => {
	t = await createTestDb('rel_par');
	baseUrl = await peer.start();
});
afterAll(async () => {
	await peer.stop();
	await t.drop();
	await closeAllPools();
});

it('4 parallel Send Pending executions over 1,000 notifications: 1,000 messages, 0 duplicates', async () => {
	await queueThousand();
	const send = () =>
		runNode(new GetCourseSendPending(), {
			parameters: { maxRunSeconds: 30, options: { messagesPerSecond: 1000, perChatIntervalMs: 5, concurrency: 8, batchSize: 25 } },
			credentials: { getCourseBotPostgres: t.credential as never, getCourseBotTelegramApi: { accessToken: TOKEN, baseUrl } as never },
		});
	const outs = await Promise.all([send(), send(), send(), send()]);
	const items = outs.flatMap(([o]) => o);
	// together they handled each notification once
	expect(items).toHaveLength(1000);
	expect(items.every((i) => i.json.status === 'sent')).toBe(true);
	expect(new Set(items.map((i) => i.json.notificationId)).size).toBe(1000);

	const messages = peer.messages as Array<{ chat_id: string; text: string; message_id: number }>;
	expect(messages).toHaveLength(1000);
	expect(new Set(messages.map((m) => `${m.chat_id}|${m.text}`)).size).toBe(1000);
	expect(new Set(messages.map((m) => m.text)).size).toBe(1000);
	for (const m of messages) expect(m.chat_id).toBe(String(6_000_000 + (Number(m.text.slice(2)) % 250)));
	const rows = (await q(`SELECT status, count(*)::int AS n, count(DISTINCT telegram_message_id)::int AS ids FROM notifications GROUP BY status`)).rows;
	expect(rows).toEqual([{ status: 'sent', n: 1000, ids: 1000 }]);
	// the message id recorded is the one Telegram gave for that text
	const byText = new Map(messages.map((m) => [m.text, String(m.message_id)]));
	const stored = (await q(`SELECT message, telegram_message_id FROM notifications`)).rows;
	expect(stored.every((r) => byText.get(r.message) === r.telegram_message_id)).toBe(true);
	// a fifth execution finds nothing left
	expect((await send())[0]).toHaveLength(0);
	expect(peer.messages).toHaveLength(1000);
});

it('4 processes sending at once over 1,000 notifications: each takes a share, 1,000 messages, 0 duplicates', async () => {
	peer.reset();
	await q('TRUNCATE notifications, chat_pace RESTART IDENTITY');
	await queueThousand();
	const tg = { baseUrl, token: TOKEN, requestTimeoutMs: 10_000 };
	const pools = [0, 1, 2, 3].map(() => new Pool(poolConfig(t.settings, t.db.host, 2)));
	const outs = await Promise.all(
		pools.map((p) => sendPending(p, tg, { maxRunSeconds: 30, messagesPerSecond: 1000, perChatIntervalMs: 5, concurrency: 8, batchSize: 25 })),
	).finally(() => Promise.all(pools.map((p) => p.end())));
	expect(outs.every((o) => o.length > 0)).toBe(true);
	const items = outs.flat();
	expect(items).toHaveLength(1000);
	expect(items.every((i) => i.status === 'sent')).toBe(true);
	expect(new Set(items.map((i) => i.notificationId)).size).toBe(1000);
	const messages = peer.messages as Array<{ chat_id: string; text: string }>;
	expect(messages).toHaveLength(1000);
	expect(new Set(messages.map((m) => m.text)).size).toBe(1000);
});
