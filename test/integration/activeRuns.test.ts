import { sendPending } from '../../lib/telegram/sendPending';
import { withDbAndPeer } from '../support/dbAndPeer';
import { type TestDb } from '../support/db';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createTelegramPeer } = require('../support/telegram-peer');

const TOKEN = '123456789:AAEfakeTokenForLoopbackTests_act';
const peer = createTelegramPeer({ token: TOKEN });
let t: TestDb;
let tg: { baseUrl: string; token: string; requestTimeoutMs: number };
const q = (sql: string, v: unknown[] = []) => t.db.pool.query(sql, v);

async function queue(chats: string[], tag: string): Promise<void> {
	await q(
		`INSERT INTO notifications (mentor_id, type, message, chat_id, message_hash)
		 SELECT 1, 'homework_submitted', $2 || ' ' || i, c, md5($2 || i)
		   FROM unnest($1::text[]) WITH ORDINALITY AS x(c, i)`,
		[chats, tag],
	);
}

withDbAndPeer('active', peer, 'notifications, chat_pace', (db, url) => {
	t = db;
	tg = { baseUrl: url, token: TOKEN, requestTimeoutMs: 5000 };
});

describe('one Send Pending run at a time per bot and pool (lib/telegram/activeRuns.ts)', () => {
	it('a second run wakes the active one, which sends the new work; the second then finds nothing left', async () => {
		// chat 1 gets three messages: the first run stays active at least 2.2 s (1.1 s apart per chat)
		await queue(['1', '1', '1'], 'first');
		const first = sendPending(t.db.pool, tg, { maxRunSeconds: 20 });
		await new Promise((r) => setTimeout(r, 300)); // the first run has claimed and sent its first message
		await queue(['2', '3'], 'later');
		const second = sendPending(t.db.pool, tg, { maxRunSeconds: 20 });
		const [a, b] = await Promise.all([first, second]);
		expect(a.filter((o) => o.status === 'sent').map((o) => o.chatId).sort()).toEqual(['1', '1', '1', '2', '3']);
		expect(b).toEqual([]);
		// the later messages went out while chat 1 still waited for its turns, not after the first run
		const at = (chat: string) => peer.messagesTo(chat).map((m: { at: number }) => m.at);
		expect(Math.max(...at('2'), ...at('3'))).toBeLessThan(Math.max(...at('1')));
		expect(peer.messages).toHaveLength(5);
	}, 30_000);

	it('runs never overlap: ten at once send every message once, one run doing the sending', async () => {
		await queue(['11', '12', '13', '14', '15'], 'burst');
		const runs = await Promise.all(Array.from({ length: 10 }, () => sendPending(t.db.pool, tg, { maxRunSeconds: 20 })));
		expect(runs.map((r) => r.length).sort((x, y) => y - x)).toEqual([5, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
		expect(peer.messages).toHaveLength(5);
	}, 30_000);
});
