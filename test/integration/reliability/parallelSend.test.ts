/** Four Send Pending executions at once over 1,000 notifications → 1,000 messages, none twice. */
import { closeAllPools } from '../../../lib/db/pool';
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
	await q(
		`INSERT INTO notifications (mentor_id, type, message, chat_id, message_hash)
		 SELECT 1, 'homework_submitted', 'n#' || g, (6000000 + g % 250)::text, md5('par' || g) FROM generate_series(0, 999) g`,
	);
	const send = () =>
		runNode(new GetCourseSendPending(), {
			parameters: { maxRunSeconds: 30, options: { messagesPerSecond: 1000, perChatIntervalMs: 5, concurrency: 8, batchSize: 25 } },
			credentials: { getCourseBotPostgres: t.credential as never, getCourseBotTelegramApi: { accessToken: TOKEN, baseUrl } as never },
		});
	const outs = await Promise.all([send(), send(), send(), send()]);
	const items = outs.flatMap(([o]) => o);
	// every execution took a share, and together they handled each notification once
	expect(outs.every(([o]) => o.length > 0)).toBe(true);
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
