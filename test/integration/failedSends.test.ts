/**
 * SPEC §11, failed sends, on real PostgreSQL and the loopback Bot API: one staff alert per
 * notification Telegram refused for good, naming the mentor and the fix; `getcourse-bot retry
 * --failed` and Maintenance → Retry Failed Sends put the same row back to pending, addressed to
 * the mentor's telegram_id valid now. (Before: the notification was `failed` and nobody knew;
 * `retry --failed` ignored the flag and re-queued every unresolved event.)
 */
import { existsSync } from 'node:fs';
import { GetCourseCreateNotification } from '../../nodes/GetCourseCreateNotification/GetCourseCreateNotification.node';
import { GetCourseMaintenance } from '../../nodes/GetCourseMaintenance/GetCourseMaintenance.node';
import { GetCourseResolveMentor } from '../../nodes/GetCourseResolveMentor/GetCourseResolveMentor.node';
import { GetCourseSendPending } from '../../nodes/GetCourseSendPending/GetCourseSendPending.node';
import { GetCourseStoreEvent } from '../../nodes/GetCourseStoreEvent/GetCourseStoreEvent.node';
import { CLI, runCli } from '../support/cli';
import { withDbAndPeer } from '../support/dbAndPeer';
import { seedReference, type TestDb } from '../support/db';
import { processCall } from '../support/fixtures';
import { runNode } from '../support/nodeContext';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createTelegramPeer } = require('../support/telegram-peer');

const TOKEN = '123456789:AAEfakeTokenForFailedSendTests_xy';
const STAFF = '-100900';
const peer = createTelegramPeer({ token: TOKEN });
const cantInitiate = { status: 403, body: { ok: false, error_code: 403, description: "Forbidden: bot can't initiate conversation with a user" } };
let t: TestDb;
let baseUrl: string;
const q = async (sql: string, v: unknown[] = []) => (await t.db.pool.query(sql, v)).rows;
const creds = () => ({ getCourseBotPostgres: t.credential as never, getCourseBotTelegramApi: { accessToken: TOKEN, baseUrl } });
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Store → Resolve → Create for one answer of each given student. */
async function queueAnswers(calls: ReturnType<typeof processCall>[]) {
	await runNode(new GetCourseStoreEvent(), { items: calls, credentials: creds() });
	const [resolved] = await runNode(new GetCourseResolveMentor(), { credentials: creds() });
	await runNode(new GetCourseCreateNotification(), { items: resolved, credentials: creds() });
}
const send = async (alertChat: string | null = STAFF) =>
	(
		await runNode(new GetCourseSendPending(), {
			parameters: { maxRunSeconds: 20, failedSendChatId: alertChat ?? '', options: { messagesPerSecond: 1000, perChatIntervalMs: 5, retryBaseMs: 20 } },
			credentials: creds(),
		})
	)[0].map((i) => i.json as Json);
const staffMessages = () => peer.messagesTo(STAFF) as Array<{ text: string }>;
const alerts = () => q(`SELECT id::int, webhook_event_id::int AS event_id, mentor_id, chat_id, status FROM notifications WHERE type = 'send_failed_alert' ORDER BY id`);

const cli = (args: string[]) => runCli(t.settings, args);

const BORIS = { email: 'boris@school.ru', telegram_id: 3001, first_name: 'Борис' };
const ANNA = { email: 'anna@school.ru', telegram_id: 3002, first_name: 'Анна' };
const KOLYA = { user_id: '901', email: 'kolya@example.ru', first_name: 'Коля' };
const SVETA = { user_id: '902', email: 'sveta@example.ru', first_name: 'Света' };

beforeAll(() => {
	if (!existsSync(CLI)) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
});
withDbAndPeer('failed_sends', peer, 'webhook_events, notifications, mentors, students, mapping, application_logs', (db, url) => {
	t = db;
	baseUrl = url;
});
beforeEach(async () => {
	await seedReference(t.db, {
		mentors: [BORIS, ANNA],
		students: [KOLYA, SVETA],
		mapping: [
			{ student_email: KOLYA.email, mentor_email: BORIS.email },
			{ student_email: SVETA.email, mentor_email: ANNA.email },
		],
	});
});

describe('a failed send', () => {
	it("403 \"can't initiate conversation\": one staff alert in the same run naming the mentor and the fix; later runs add none", async () => {
		peer.failAlways('3001', cantInitiate);
		await queueAnswers([processCall({ answer_id: '1', user_id: KOLYA.user_id, user_email: KOLYA.email }), processCall({ answer_id: '2', user_id: SVETA.user_id, user_email: SVETA.email })]);
		const out = await send();
		// the alert goes out in the same run, after the failure
		expect(out.map((o) => [o.chatId, o.status]).slice(0, 2).sort()).toEqual([
			['3001', 'failed'],
			['3002', 'sent'],
		]);
		expect(out.map((o) => [o.chatId, o.status])[2]).toEqual([STAFF, 'sent']);
		expect(await alerts()).toEqual([{ id: 3, event_id: 1, mentor_id: null, chat_id: STAFF, status: 'sent' }]);
		const [text] = staffMessages().map((m) => m.text);
		expect(text).toContain('GetCourse Bot: сообщение наставнику не доставлено');
		expect(text).toContain('Наставник: Борис (boris@school.ru), telegram_id 3001');
		expect(text).toContain("Telegram ответил: Forbidden: bot can't initiate conversation with a user");
		expect(text).toContain('Что сделать: наставник ещё ни разу не писал боту: пусть откроет бота в Telegram и нажмёт «Start»');
		expect(text).toContain('ученик kolya@example.ru, id 901');
		expect(text).toContain('«getcourse-bot retry --failed --mentor boris@school.ru» или GetCourse Maintenance → Retry Failed Sends');
		await send();
		await send();
		expect(await alerts()).toHaveLength(1);
		expect(staffMessages()).toHaveLength(1);
		const [run] = await q(`SELECT context FROM application_logs WHERE source = 'getcourse-send-pending' ORDER BY id LIMIT 1`);
		expect(run.context.counts).toMatchObject({ sent: 2, failed: 1, failedSendAlerts: 1 });
	});

	it('400 chat not found names the wrong telegram_id; a failure a stopped run left unalerted is alerted by the next run; staff-chat failures are not', async () => {
		peer.failAlways('3001', 'chat_not_found');
		await queueAnswers([processCall({ answer_id: '1', user_id: KOLYA.user_id, user_email: KOLYA.email })]);
		await send(null); // no staff chat set yet: failed, nobody told
		expect(await q(`SELECT status, failure_alerted_at FROM notifications`)).toEqual([{ status: 'failed', failure_alerted_at: null }]);
		// a failed staff alert of an earlier run (the staff chat itself was wrong)
		await q(`INSERT INTO notifications (mentor_id, type, message, chat_id, status, message_hash, last_error) VALUES (NULL, 'staff_alert', 'x', '-1', 'failed', 'h-staff', 'Bad Request: chat not found')`);
		await send(); // nothing pending, but the failure is still untold
		expect(await alerts()).toHaveLength(1);
		expect(staffMessages()[0].text).toContain('Что сделать: telegram_id наставника неверный или не задан: исправьте его новой версией записи наставника');
		expect(await q(`SELECT id::int FROM notifications WHERE failure_alerted_at IS NOT NULL ORDER BY id`)).toEqual([{ id: 1 }]);
	});
});

describe('retry --failed', () => {
	it('after the fix (a new telegram_id), the same row goes back to pending at the current chat and is delivered once; a new failure is a new alert', async () => {
		peer.failAlways('3001', cantInitiate);
		await queueAnswers([processCall({ answer_id: '1', user_id: KOLYA.user_id, user_email: KOLYA.email })]);
		await send();
		expect(await q(`SELECT id::int, status, chat_id FROM notifications WHERE type = 'homework_submitted'`)).toEqual([{ id: 1, status: 'failed', chat_id: '3001' }]);
		// staff fix it the documented way: a new version of Boris with the right chat
		await q(`UPDATE mentors SET valid_to = NOW() WHERE email = 'boris@school.ru'`);
		await q(`INSERT INTO mentors (email, first_name, telegram_id) VALUES ('boris@school.ru', 'Борис', 3011)`);
		const r = await cli(['retry', '--failed', '--mentor', 'Boris@School.ru']);
		expect(r).toMatchObject({ code: 0, stderr: '' });
		expect(r.stdout).toMatch(/^Re-queued 1 failed notification\(s\) of mentor boris@school\.ru: 1 → chat 3011\. The next Send Pending run sends them\.$/m);
		expect(await q(`SELECT id::int, status, chat_id, attempts, manual_retries, failure_alerted_at FROM notifications WHERE type = 'homework_submitted'`)).toEqual([
			{ id: 1, status: 'pending', chat_id: '3011', attempts: 0, manual_retries: 1, failure_alerted_at: null },
		]);
		const out = await send();
		expect(out.map((o) => [o.notificationId, o.chatId, o.status])).toEqual([['1', '3011', 'sent']]);
		expect(peer.messagesTo('3011')).toHaveLength(1);
		expect(await q(`SELECT count(*)::int AS n FROM notifications WHERE type = 'homework_submitted'`)).toEqual([{ n: 1 }]);
		expect(await cli(['retry', '--failed'])).toMatchObject({ code: 0, stdout: 'No failed notifications: nothing to retry.\n' });

		// the same row failing again after a retry is a new alert
		await q(`UPDATE notifications SET status = 'failed', last_error = 'Forbidden: bot was blocked by the user' WHERE id = 1`);
		await send();
		expect((await alerts()).map((a) => a.status)).toEqual(['sent', 'sent']);
		expect(staffMessages()[1].text).toContain('наставник заблокировал бота');
	});

	it('a mentor still without a telegram_id, or gone, is left failed and said so; Maintenance → Retry Failed Sends does the same as the command', async () => {
		peer.failAlways('3001', cantInitiate);
		peer.failAlways('3002', 'blocked');
		await queueAnswers([processCall({ answer_id: '1', user_id: KOLYA.user_id, user_email: KOLYA.email }), processCall({ answer_id: '2', user_id: SVETA.user_id, user_email: SVETA.email })]);
		await send();
		await q(`UPDATE mentors SET valid_to = NOW()`);
		await q(`INSERT INTO mentors (email, first_name, telegram_id) VALUES ('boris@school.ru', 'Борис', NULL)`);
		const r = await cli(['retry', '--failed']);
		expect(r.code).toBe(0);
		expect(r.stdout).toContain('left failed: notification 1: mentor boris@school.ru has no telegram_id yet: set it first');
		expect(r.stdout).toContain('left failed: notification 2: mentor anna@school.ru has no row valid now (left?): assign the student a new mentor');
		await q(`INSERT INTO mentors (email, first_name, telegram_id) VALUES ('anna@school.ru', 'Анна', 3022)`);
		const [out] = await runNode(new GetCourseMaintenance(), { parameters: { operation: 'retryFailedSends', mentorEmail: 'anna@school.ru' }, credentials: creds() });
		expect(out[0].json).toMatchObject({ requeued: 1, notifications: [{ id: '2', mentorEmail: 'anna@school.ru', chatId: '3022' }], skipped: [] });
		await send();
		expect(peer.messagesTo('3022')).toHaveLength(1);
		expect(await q(`SELECT id::int, status FROM notifications WHERE type = 'homework_submitted' ORDER BY id`)).toEqual([
			{ id: 1, status: 'failed' },
			{ id: 2, status: 'sent' },
		]);
	});
});
