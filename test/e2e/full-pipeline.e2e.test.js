'use strict';
/**
 * End to end with the main template, workflows/full-pipeline.json, in real n8n 2.x: GetCourse
 * Trigger → Resolve Mentor → Create Notification → Send Pending in one execution per new event,
 * a 2-minute schedule as the safety net, staff alerts for answers nobody could be found for.
 *
 * A school's life as GetCourse drives it: both kinds of call, the secret, redeliveries,
 * resubmissions (also the README's "Вызвать URL", which sends no text and the same date),
 * comments (the student's and the mentor's own reply), stale statuses, reference data added
 * late, an event naming no training for a student with two mentors, a Telegram that answers 429
 * and 403 (a new mentor who never pressed Start: a staff alert, the fix, `retry --failed`). The
 * test's transform only sets the staff chat (Alert staff's; Send Pending reads it from there, as
 * shipped) and keeps successful executions, so that they can be counted (the template saves
 * failed ones only).
 */

const rt = require('../../scripts/n8n');
const { setupE2E, techApiAnswer, people } = require('../support/e2e-harness');

const { MARIA, PETR, BLOCKED, IVAN, OLGA, SEMEN, TRAINING, LESSON } = people;
const WF = 'gcbFullPipeline1';
const STAFF_CHAT = '-100777';
let ctx;

beforeAll(async () => {
	ctx = await setupE2E({
		templates: ['full-pipeline'],
		label: 'e2efull',
		transform: (wf) => {
			wf.settings = { ...wf.settings, saveDataSuccessExecution: 'all' };
			for (const node of wf.nodes) if (node.name === 'Alert staff') node.parameters.staffChatId = STAFF_CHAT;
			return wf;
		},
	});
	expect(ctx.storedWorkflows.map((w) => w.id)).toEqual([WF]);
	expect(ctx.storedWorkflows[0].activeVersionId).toBeTruthy();
}, 20 * 60 * 1000);

afterAll(async () => {
	if (ctx) await ctx.teardown();
}, 120000);

const webhookRuns = async () => (await ctx.executions(WF)).filter((e) => e.mode === 'webhook');
const processCall = (over) => ({
	user_id: IVAN.userId,
	user_email: IVAN.email,
	answer_training_id: TRAINING.id,
	answer_lesson_id: LESSON.id,
	answer_status: 'new',
	event_date: '2026-02-03 15:10:00',
	...over,
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** The package's command line against the test schema. */
const cli = (args) =>
	rt.run(process.execPath, [require('node:path').join(rt.REPO_DIR, 'dist/lib/cli/main.js'), ...args], {
		env: { ...process.env, POSTGRES_HOST_EXTERNAL: ctx.pg.host, POSTGRES_PORT: String(ctx.pg.port), POSTGRES_USER: ctx.pg.user, POSTGRES_PASSWORD: ctx.pg.password || '', POSTGRES_DB: ctx.appDb, POSTGRES_SCHEMA: ctx.schema },
	});
/** Staff-chat messages that mention the marker (alerts may share a message once they are coalesced). */
const staffAbout = (marker) => to(STAFF_CHAT, marker);
/** Messages to a chat whose text contains the marker. */
const to = (chat, marker) => ctx.peer.messagesTo(chat).filter((m) => m.text.includes(marker));
/** Waits for a message, and says how long it took from `since`. */
async function arrives(chat, marker, since) {
	await ctx.until(`a message with "${marker}" in chat ${chat}`, async () => to(chat, marker).length > 0, { timeoutMs: 60000, intervalMs: 50 });
	return to(chat, marker)[0].at - since;
}

describe('GetCourse Trigger: the door', () => {
	test('a wrong or missing secret is 401: nothing stored, no database write, no execution', async () => {
		const before = (await webhookRuns()).length;
		const body = techApiAnswer({ answerId: '900000001', userId: IVAN.userId, text: 'без секрета', ts64: 1770109000 });
		for (const secret of [null, 'wrong-secret-value-123']) {
			const res = await ctx.post(body, { secret });
			expect(res.status).toBe(401);
			expect(res.json).toMatchObject({ ok: false, status: 'unauthorized' });
		}
		expect(await ctx.q(`SELECT count(*)::int AS n FROM webhook_events`)).toEqual([{ n: 0 }]);
		// counted in memory: one error_logs line a minute (test/e2e/intake-trouble.e2e.test.js waits for it)
		expect(await ctx.q(`SELECT count(*)::int AS n FROM error_logs`)).toEqual([{ n: 0 }]);
		expect((await webhookRuns()).length).toBe(before);
	});

	test('too large is 413, wrongly typed is 422: nothing stored', async () => {
		const big = techApiAnswer({ answerId: '900000002', userId: IVAN.userId, text: 'x'.repeat(1100 * 1024), ts64: 1770109001 });
		expect((await ctx.post(big)).status).toBe(413);
		const typed = techApiAnswer({ answerId: '900000003', userId: IVAN.userId, text: 't', ts64: 1770109002 });
		typed.json.answer.id = { nested: true };
		const res = await ctx.post(typed);
		expect(res.status).toBe(422);
		expect(res.json.reason).toMatch(/answer\.id must be a string or a number, got an object/);
		expect(await ctx.q(`SELECT count(*)::int AS n FROM webhook_events`)).toEqual([{ n: 0 }]);
	});
});

describe('GetCourse Trigger → Telegram in seconds', () => {
	test('a Tech API answer reaches its mentor through one execution; its redelivery is 200 duplicate and starts none', async () => {
		const before = (await webhookRuns()).length;
		const call = techApiAnswer({ answerId: '900000010', userId: IVAN.userId, text: 'Первое задание — мгновенно', ts64: 1770109100 });
		const t = Date.now();
		const res = await ctx.post(call);
		expect(res.status).toBe(200);
		expect(res.json).toMatchObject({ ok: true, status: 'stored' });
		const ms = await arrives(MARIA.chat, 'Первое задание — мгновенно', t);
		console.log(`webhook → Telegram: ${ms} ms`); // figures belong in bench/webhook-to-telegram.js
		expect((await webhookRuns()).length).toBe(before + 1); // the instant path delivered it, not the schedule

		const again = await ctx.post(call);
		expect(again.json).toMatchObject({ status: 'duplicate', eventId: res.json.eventId });
		await sleep(1500);
		expect((await webhookRuns()).length).toBe(before + 1); // no execution for a duplicate
		expect(to(MARIA.chat, 'Первое задание — мгновенно')).toHaveLength(1);
		expect(await ctx.q(`SELECT delivery_count FROM webhook_events WHERE answer_id = '900000010'`)).toEqual([{ delivery_count: 2 }]);
	});

	test('ten answers at once to ten mentors: every one delivered once, within seconds', async () => {
		const extra = Array.from({ length: 10 }, (_, k) => ({
			mentor: { email: `fast.m${k}@school.test`, chat: String(120000 + k) },
			student: { userId: String(46200000 + k), email: `fast.s${k}@example.ru` },
		}));
		for (const { mentor, student } of extra) {
			await ctx.q(`INSERT INTO mentors (email, first_name, telegram_id, valid_from) VALUES ($1, 'Быстрый', $2, '2020-01-01')`, [mentor.email, mentor.chat]);
			await ctx.q(`INSERT INTO students (user_id, email, first_name, valid_from) VALUES ($1, $2, 'Ученик', '2020-01-01')`, [student.userId, student.email]);
			await ctx.q(`INSERT INTO mapping (student_email, mentor_email, valid_from) VALUES ($1, $2, '2020-01-01')`, [student.email, mentor.email]);
		}
		const t = Date.now();
		const results = await Promise.all(
			extra.map(({ student }, k) => ctx.post(techApiAnswer({ answerId: String(900000100 + k), userId: student.userId, text: `Параллельно ${k}`, ts64: 1770109200 + k }))),
		);
		expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
		const latencies = await Promise.all(extra.map(({ mentor }, k) => arrives(mentor.chat, `Параллельно ${k}`, t)));
		console.log(`10 at once, webhook → Telegram (ms): ${latencies.sort((a, b) => a - b).join(', ')}`);
		for (const [k, { mentor }] of extra.entries()) expect(to(mentor.chat, `Параллельно ${k}`)).toHaveLength(1);
	});
});

describe('what one submission is, and who hears of it', () => {
	test('new → declined → new with new text: the resubmission reaches the mentor once, marked "Повторная сдача"', async () => {
		let res = await ctx.get(processCall({ answer_id: '900000200', answer_text: 'Вариант один', event_date: '2026-02-04 10:00:00' }));
		expect(res.json).toMatchObject({ status: 'stored' });
		await arrives(MARIA.chat, 'Вариант один', Date.now());
		const runs = (await webhookRuns()).length;
		res = await ctx.get(processCall({ answer_id: '900000200', answer_status: 'declined', answer_text: 'Вариант один', event_date: '2026-02-04 11:00:00' }));
		expect(res.json).toMatchObject({ status: 'stored' });
		await sleep(1000);
		expect((await webhookRuns()).length).toBe(runs); // a status that notifies nobody starts nothing
		res = await ctx.get(processCall({ answer_id: '900000200', answer_text: 'Вариант два', event_date: '2026-02-04 12:00:00' }));
		expect(res.json).toMatchObject({ status: 'stored' });
		await arrives(MARIA.chat, 'Вариант два', Date.now());
		const second = to(MARIA.chat, 'Вариант два');
		expect(second).toHaveLength(1);
		expect(second[0].text).toContain('Повторная сдача');
		expect(to(MARIA.chat, 'Вариант один')).toHaveLength(1);
	});

	test('the README\'s "Вызвать URL" (no text, the same date): new → declined → new reaches the mentor twice, the second as "Повторная сдача"; a redelivery right after is a duplicate', async () => {
		const call = (status) => processCall({ answer_id: '900000250', answer_status: status, event_date: '2026-02-03 15:10:00' });
		let res = await ctx.get(call('new'));
		expect(res.json).toMatchObject({ status: 'stored' });
		const sentOf = `SELECT n.status FROM notifications n JOIN webhook_events e ON e.id = n.webhook_event_id WHERE e.answer_id = '900000250' AND n.status = 'sent'`;
		await ctx.until('the first message', async () => (await ctx.q(sentOf)).length === 1);
		expect((await ctx.get(call('declined'))).json).toMatchObject({ status: 'stored' });
		res = await ctx.get(call('new'));
		expect(res.json).toMatchObject({ status: 'stored' }); // before: "duplicate", and the mentor never heard of it
		const again = await ctx.get(call('new'));
		expect(again.json).toMatchObject({ status: 'duplicate', eventId: res.json.eventId });
		const sent = await ctx.until('the resubmission to be sent', async () => {
			const r = await ctx.q(
				`SELECT e.is_resubmission, n.status, n.telegram_message_id FROM notifications n JOIN webhook_events e ON e.id = n.webhook_event_id
				  WHERE e.answer_id = '900000250' ORDER BY n.id`,
			);
			return r.length === 2 && r.every((x) => x.status === 'sent') ? r : null;
		});
		expect(sent.map((x) => x.is_resubmission)).toEqual([false, true]);
		const second = ctx.peer.messages.find((m) => String(m.message_id) === sent[1].telegram_message_id);
		expect(second).toMatchObject({ chat_id: MARIA.chat });
		expect(second.text).toContain('Повторная сдача');
		expect(await ctx.q(`SELECT answer_status, delivery_count FROM webhook_events WHERE answer_id = '900000250' ORDER BY id`)).toEqual([
			{ answer_status: 'new', delivery_count: 1 },
			{ answer_status: 'declined', delivery_count: 1 },
			{ answer_status: 'new', delivery_count: 2 },
		]);
	});

	test("each student's comment is its own event and notifies; the mentor's own reply notifies nobody and alerts nobody; a \"new\" arriving after \"accepted\" never does", async () => {
		// GetCourse's answerCommentCreated: comment.user_id is the author, comment.owner_id the answer's student
		const comment = (id, text, author = IVAN.userId) => ({
			json: {
				ts64: 1770109300 + id,
				eventType: 'getcourse/answerCommentCreated',
				comment: { id, answer_id: "'900000200'", user_id: Number(author), owner_id: Number(IVAN.userId), owner_type_id: 1, comment_text: text, lesson_data: { lesson_id: Number(LESSON.id), training_id: Number(TRAINING.id) } },
			},
		});
		expect((await ctx.post(comment(1, 'Вопрос первый'))).json).toMatchObject({ status: 'stored' });
		expect((await ctx.post(comment(2, 'Вопрос второй'))).json).toMatchObject({ status: 'stored' });
		await arrives(MARIA.chat, 'Вопрос первый', Date.now());
		await arrives(MARIA.chat, 'Вопрос второй', Date.now());
		expect(to(MARIA.chat, 'Вопрос второй')[0].text).toContain('Новый комментарий');

		const runs = (await webhookRuns()).length;
		const reply = await ctx.post(comment(3, 'Задание принято, отличная работа!', '99000001'));
		expect(reply.json).toMatchObject({ status: 'stored' });
		expect(await ctx.q(`SELECT user_id, author_user_id, skip_reason, processed FROM webhook_events WHERE comment_id = '3'`)).toEqual([
			{ user_id: IVAN.userId, author_user_id: '99000001', skip_reason: 'staff_comment', processed: true },
		]);
		await sleep(1500);
		expect((await webhookRuns()).length).toBe(runs); // no execution, no retries
		expect(to(MARIA.chat, 'отличная работа')).toHaveLength(0);
		expect(staffAbout('99000001')).toHaveLength(0);

		await ctx.post(techApiAnswer({ answerId: '900000300', userId: OLGA.userId, status: 'accepted', text: 'Поздний', ts64: 1770109500 }));
		const late = await ctx.post(techApiAnswer({ answerId: '900000300', userId: OLGA.userId, text: 'Поздний', ts64: 1770109400 }));
		expect(late.json).toMatchObject({ status: 'stored' });
		expect(await ctx.q(`SELECT skip_reason FROM webhook_events WHERE answer_id = '900000300' AND answer_status = 'new'`)).toEqual([{ skip_reason: 'stale' }]);
		await sleep(2000);
		expect(to(PETR.chat, 'Поздний')).toHaveLength(0);
	});

	test('an unknown student: one staff alert naming the fix; after the student is added (valid from now) and retry, the mentor hears of it', async () => {
		const t = Date.now();
		const res = await ctx.get(processCall({ answer_id: '900000400', user_id: '46299999', user_email: 'late.student@example.ru', answer_text: 'Ответ новичка' }));
		expect(res.json).toMatchObject({ status: 'stored' });
		await ctx.until('the staff alert', async () => staffAbout('46299999').length > 0, { timeoutMs: 150000 });
		const alert = staffAbout('46299999')[0];
		// in Russian, problem and fix alike
		expect(alert.text).toMatch(/Проблема: ученик не найден: в students нет ученика с GetCourse user id 46299999 или email late\.student@example\.ru/);
		expect(alert.text).toMatch(/Что сделать: добавьте ученика/);
		expect(alert.text).not.toMatch(/student not found|add the student/);
		console.log(`unresolved → staff alert: ${alert.at - t} ms`);

		// Staff add the student and the mapping the documented way: rows valid from now.
		await ctx.q(`INSERT INTO students (user_id, email, first_name) VALUES ('46299999', 'late.student@example.ru', 'Новичок')`);
		await ctx.q(`INSERT INTO mapping (student_email, mentor_email, training_id) VALUES ('late.student@example.ru', $1, NULL)`, [PETR.email]);
		const retried = await cli(['retry']);
		expect(retried.stdout).toMatch(/Re-queued 1 event/);
		// the next execution (any new answer) picks it up at once
		await ctx.post(techApiAnswer({ answerId: '900000401', userId: IVAN.userId, text: 'Разбудить конвейер', ts64: 1770109600 }));
		await arrives(PETR.chat, 'Ответ новичка', Date.now());
		expect(to(PETR.chat, 'Ответ новичка')).toHaveLength(1);
		expect(staffAbout('46299999')).toHaveLength(1); // one alert per event, not per retry
		const [event] = await ctx.q(`SELECT processed, resolution_note FROM webhook_events WHERE answer_id = '900000400'`);
		expect(event.processed).toBe(true);
		expect(event.resolution_note).toMatch(/student: no row valid at the event date, the row valid now was used/);
	}, 240000);

	test('never a guess: no training id, an unknown lesson and two mentors → no mentor hears of it, staff get one alert naming both', async () => {
		const ANNA = { userId: '46300001', email: 'anna.two.mentors@example.ru' };
		await ctx.q(`INSERT INTO students (user_id, email, first_name, valid_from) VALUES ($1, $2, 'Анна', '2020-01-01')`, [ANNA.userId, ANNA.email]);
		await ctx.q(`INSERT INTO mapping (student_email, mentor_email, training_id, valid_from) VALUES ($1, $2, $3, '2020-01-01'), ($1, $4, '111111', '2020-01-01')`, [
			ANNA.email,
			MARIA.email,
			TRAINING.id,
			PETR.email,
		]);
		const res = await ctx.get(processCall({ answer_id: '900000450', user_id: ANNA.userId, user_email: ANNA.email, answer_training_id: '', answer_lesson_id: '999', answer_text: 'Чей я?' }));
		expect(res.json).toMatchObject({ status: 'stored' });
		await ctx.until('the staff alert', async () => staffAbout('anna.two.mentors@example.ru').length > 0, { timeoutMs: 150000 });
		const [alert] = staffAbout('anna.two.mentors@example.ru');
		expect(alert.text).toContain('неясно, какому наставнику писать: у ученика anna.two.mentors@example.ru на дату события 2 наставника (maria.mentor@school.test, petr.mentor@school.test)');
		expect(alert.text).toContain('answer_training_id={object.training_id}');
		// before: one of them got it, a guess
		expect(to(MARIA.chat, 'Чей я?')).toHaveLength(0);
		expect(to(PETR.chat, 'Чей я?')).toHaveLength(0);
		expect(await ctx.q(`SELECT processed, error_message LIKE 'ambiguous mentor%' AS ambiguous FROM webhook_events WHERE answer_id = '900000450'`)).toEqual([{ processed: false, ambiguous: true }]);
	}, 240000);

	test("a new mentor who never pressed Start (403): one staff alert naming the mentor and the fix; after the fix, retry --failed delivers it once to the current telegram_id", async () => {
		const NEWBIE = { email: 'newbie.mentor@school.test', wrongChat: '100004', rightChat: '100005' };
		const LENA = { userId: '46300002', email: 'lena@example.ru' };
		await ctx.q(`INSERT INTO mentors (email, first_name, last_name, telegram_id, valid_from) VALUES ($1, 'Нина', 'Новенькая', $2, '2020-01-01')`, [NEWBIE.email, NEWBIE.wrongChat]);
		await ctx.q(`INSERT INTO students (user_id, email, first_name, valid_from) VALUES ($1, $2, 'Лена', '2020-01-01')`, [LENA.userId, LENA.email]);
		await ctx.q(`INSERT INTO mapping (student_email, mentor_email, training_id, valid_from) VALUES ($1, $2, NULL, '2020-01-01')`, [LENA.email, NEWBIE.email]);
		ctx.peer.failAlways(NEWBIE.wrongChat, { status: 403, body: { ok: false, error_code: 403, description: "Forbidden: bot can't initiate conversation with a user" } });

		await ctx.post(techApiAnswer({ answerId: '900000600', userId: LENA.userId, text: 'Первая работа Лены', ts64: 1770109800 }));
		await ctx.until('the failed-send alert', async () => staffAbout('newbie.mentor@school.test').length > 0, { timeoutMs: 60000 });
		const [alert] = staffAbout('newbie.mentor@school.test');
		expect(alert.text).toContain('сообщение наставнику не доставлено');
		expect(alert.text).toContain('Наставник: Нина Новенькая (newbie.mentor@school.test), telegram_id 100004');
		expect(alert.text).toContain('нажмёт «Start»');
		expect(alert.text).toContain('getcourse-bot retry --failed --mentor newbie.mentor@school.test');
		const [failed] = await ctx.q(`SELECT n.id::text, n.status FROM notifications n JOIN webhook_events e ON e.id = n.webhook_event_id WHERE e.answer_id = '900000600' AND n.type = 'homework_submitted'`);
		expect(failed.status).toBe('failed');

		// the fix: her real chat, as a new version of her row (the documented way)
		await ctx.q(`UPDATE mentors SET valid_to = NOW() WHERE email = $1`, [NEWBIE.email]);
		await ctx.q(`INSERT INTO mentors (email, first_name, last_name, telegram_id) VALUES ($1, 'Нина', 'Новенькая', $2)`, [NEWBIE.email, NEWBIE.rightChat]);
		const retried = await cli(['retry', '--failed', '--mentor', NEWBIE.email]);
		expect(retried.stdout).toContain(`Re-queued 1 failed notification(s) of mentor ${NEWBIE.email}: ${failed.id} → chat ${NEWBIE.rightChat}`);
		// the next execution (any new answer) sends it
		await ctx.post(techApiAnswer({ answerId: '900000601', userId: IVAN.userId, text: 'Разбудить конвейер ещё раз', ts64: 1770109900 }));
		await arrives(NEWBIE.rightChat, 'Первая работа Лены', Date.now());
		await sleep(1500);
		expect(to(NEWBIE.rightChat, 'Первая работа Лены')).toHaveLength(1);
		expect(to(NEWBIE.wrongChat, 'Первая работа Лены')).toHaveLength(0);
		expect(await ctx.q(`SELECT n.id::text, n.status, n.chat_id FROM notifications n JOIN webhook_events e ON e.id = n.webhook_event_id WHERE e.answer_id = '900000600' AND n.type = 'homework_submitted'`)).toEqual([
			{ id: failed.id, status: 'sent', chat_id: NEWBIE.rightChat },
		]);
		expect(await ctx.q(`SELECT count(*)::int AS n FROM notifications WHERE type = 'send_failed_alert' AND message LIKE '%newbie.mentor%'`)).toEqual([{ n: 1 }]);
	}, 240000);

	test('Telegram 429 is waited out and delivered once; 403 (blocked) is failed for good, not retried', async () => {
		ctx.peer.failNext(PETR.chat, ctx.peer.answers[429](1));
		ctx.peer.failAlways(BLOCKED.chat, ctx.peer.answers[403]());
		await ctx.post(techApiAnswer({ answerId: '900000500', userId: OLGA.userId, text: 'После 429', ts64: 1770109700 }));
		await ctx.post(techApiAnswer({ answerId: '900000501', userId: SEMEN.userId, text: 'Заблокирован', ts64: 1770109701 }));
		await arrives(PETR.chat, 'После 429', Date.now());
		expect(to(PETR.chat, 'После 429')).toHaveLength(1);
		const [blocked] = await ctx
			.until('the blocked notification to fail', async () => {
				// the mentor's message; the staff alert about it (send_failed_alert) names the same event
				const r = await ctx.q(`SELECT n.status, n.last_error FROM notifications n JOIN webhook_events e ON e.id = n.webhook_event_id WHERE e.answer_id = '900000501' AND n.type = 'homework_submitted'`);
				return r.length && r[0].status === 'failed' ? r : null;
			})
			.catch(async (err) => {
				// where it stopped: the event, its notification, the coalesced start, what the peer saw
				const state = {
					event: await ctx.q(`SELECT id, processed, attempts, created_at, processed_at FROM webhook_events WHERE answer_id = '900000501'`),
					notifications: await ctx.q(`SELECT n.id, n.type, n.status, n.attempts, n.locked_until, n.last_error FROM notifications n JOIN webhook_events e ON e.id = n.webhook_event_id WHERE e.answer_id = '900000501'`),
					starts: await ctx.q(`SELECT * FROM pipeline_starts`),
					blockedRequests: ctx.peer.requests.filter((r) => r.body && r.body.chat_id === BLOCKED.chat).length,
				};
				throw new Error(`${err.message}\nstate: ${JSON.stringify(state)}`);
			});
		expect(blocked.last_error).toMatch(/blocked/);
		const asked = ctx.peer.requests.filter((r) => r.method === 'sendMessage' && r.body.chat_id === BLOCKED.chat).length;
		await sleep(2000);
		expect(ctx.peer.requests.filter((r) => r.method === 'sendMessage' && r.body.chat_id === BLOCKED.chat).length).toBe(asked);
	});
});

test('no answer reached anybody twice, and the token is nowhere in the database', async () => {
	const keys = ctx.peer.messages.map((m) => `${m.chat_id}|${m.text}`);
	expect(new Set(keys).size).toBe(keys.length);
	const leaks = await ctx.q(
		`SELECT (SELECT count(*) FROM notifications WHERE coalesce(last_error,'') LIKE '%' || $1 || '%')
		      + (SELECT count(*) FROM error_logs WHERE message LIKE '%' || $1 || '%' OR coalesce(context::text,'') LIKE '%' || $1 || '%')
		      + (SELECT count(*) FROM application_logs WHERE message LIKE '%' || $1 || '%' OR coalesce(context::text,'') LIKE '%' || $1 || '%') AS n`,
		[ctx.TOKEN.split(':')[1]],
	);
	expect(Number(leaks[0].n)).toBe(0);
	// one application_logs row per node run, as the seed's table expects
	const runs = await ctx.q(`SELECT source, count(*)::int AS n FROM application_logs WHERE context ? 'duration_ms' GROUP BY source ORDER BY source`);
	expect(runs.map((r) => r.source)).toEqual(expect.arrayContaining(['getcourse-create-notification', 'getcourse-resolve-mentor', 'getcourse-send-pending']));
});
