import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeAllPools } from '../../lib/db/pool';
import { queueWeeklyReport } from '../../lib/review/report';
import { GetCourseMaintenance } from '../../nodes/GetCourseMaintenance/GetCourseMaintenance.node';
import { GetCourseReferenceData } from '../../nodes/GetCourseReferenceData/GetCourseReferenceData.node';
import { GetCourseReviewClock } from '../../nodes/GetCourseReviewClock/GetCourseReviewClock.node';
import { CLI, runCli } from '../support/cli';
import { createTestDb, type TestDb } from '../support/db';
import { runNode } from '../support/nodeContext';

/**
 * The review report (CLI `report`, Maintenance → Review Report, the weekly report to the staff
 * chat) over reviews with known times, and trainings.review_hours through the CSV import and
 * the Reference Data node.
 */

const dir = mkdtempSync(join(tmpdir(), 'gcb-review-report-'));
let t: TestDb;
const q = async (sql: string, v: unknown[] = []) => (await t.db.pool.query(sql, v)).rows;
const creds = () => ({ getCourseBotPostgres: t.credential as never });

const cli = (args: string[]) => runCli(t.settings, args, { cwd: dir });

/** A review as the clock leaves it: opened (Moscow time), deadline after `hours`, closed after `closedAfter` hours. */
async function review(o: { mentor: string; name: string; training: string; opened: string; hours: number; closedAfter?: number; by?: string }) {
	await q(
		`INSERT INTO reviews (event_id, answer_id, mentor_email, mentor_name, training_id, training_name, event_date, opened_at, deadline_at, escalate_at,
		                      closed_at, closed_by)
		 SELECT nextval('reviews_id_seq') + 100000, 'a' || currval('reviews_id_seq'), $1, $2, $3::text, CASE $3::text WHEN '889900' THEN 'Поток весна' ELSE 'Интенсив' END,
		        o, o, o + make_interval(secs => $5::float * 3600), o + make_interval(secs => $5::float * 7200),
		        CASE WHEN $6::float IS NULL THEN NULL ELSE o + make_interval(secs => $6::float * 3600) END, $7
		   FROM (SELECT ($4::text || '+03')::timestamptz AS o) x`,
		[o.mentor, o.name, o.training, o.opened, o.hours, o.closedAfter ?? null, o.by ?? null],
	);
}

beforeAll(async () => {
	if (!existsSync(CLI)) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
	t = await createTestDb('review_report');
	const M = { mentor: 'maria@school.ru', name: 'Мария' };
	const P = { mentor: 'petr@school.ru', name: 'Пётр' };
	// Week of 2026-02-02 (Monday) … 2026-02-08, deadlines of 24 h.
	await review({ ...M, training: '889900', opened: '2026-02-02 10:00', hours: 24, closedAfter: 2, by: 'accepted' });
	await review({ ...M, training: '889900', opened: '2026-02-03 10:00', hours: 24, closedAfter: 30, by: 'declined' }); // late
	await review({ ...M, training: '889900', opened: '2026-02-04 10:00', hours: 24, closedAfter: 10, by: 'staff_comment' });
	await review({ ...M, training: '777', opened: '2026-02-05 10:00', hours: 24, closedAfter: 5, by: 'resubmission' }); // not a check, not due
	await review({ ...M, training: '777', opened: '2026-02-06 10:00', hours: 24 }); // open, overdue
	await review({ ...P, training: '889900', opened: '2026-02-02 12:00', hours: 24, closedAfter: 1, by: 'accepted' });
	await review({ ...P, training: '777', opened: '2026-01-20 12:00', hours: 24 }); // before the period: open, overdue
	await review({ ...P, training: '889900', opened: '2026-02-08 23:00', hours: 24 * 365 * 0.9 }); // open, not due yet
	await review({ ...P, training: '889900', opened: '2026-02-09 00:30', hours: 24, closedAfter: 1, by: 'accepted' }); // after the period
});
afterAll(async () => {
	await t.drop();
	await closeAllPools();
	rmSync(dir, { recursive: true, force: true });
});

const EXPECTED = [
	{ group: 'mentor', key: 'maria@school.ru', name: 'Мария', received: 5, checked: 3, medianHours: 10, p90Hours: 26, onTime: 2, due: 4, onTimePercent: 50, openNow: 1, overdueNow: 1 },
	{ group: 'mentor', key: 'petr@school.ru', name: 'Пётр', received: 2, checked: 1, medianHours: 1, p90Hours: 1, onTime: 1, due: 1, onTimePercent: 100, openNow: 2, overdueNow: 1 },
	{ group: 'training', key: '777', name: 'Интенсив', received: 2, checked: 0, medianHours: null, p90Hours: null, onTime: 0, due: 1, onTimePercent: 0, openNow: 2, overdueNow: 2 },
	{ group: 'training', key: '889900', name: 'Поток весна', received: 5, checked: 4, medianHours: 6, p90Hours: 24, onTime: 3, due: 4, onTimePercent: 75, openNow: 1, overdueNow: 0 },
	{ group: 'total', key: null, name: null, received: 7, checked: 4, medianHours: 6, p90Hours: 24, onTime: 3, due: 5, onTimePercent: 60, openNow: 3, overdueNow: 2 },
];
const rounded = (rows: Array<Record<string, unknown>>) =>
	rows.map((r) => ({ ...r, medianHours: r.medianHours === null ? null : Math.round(Number(r.medianHours) * 1000) / 1000, p90Hours: r.p90Hours === null ? null : Math.round(Number(r.p90Hours) * 1000) / 1000 }));

describe('getcourse-bot report', () => {
	it('--json: per mentor, per training and in total — received, checked, median and p90 hours, on time, open and overdue now', async () => {
		const r = await cli(['report', '--from', '2026-02-02', '--to', '2026-02-08', '--json']);
		expect(r.stderr).toBe('');
		expect(r.code).toBe(0);
		const json = JSON.parse(r.stdout);
		expect(json).toMatchObject({ from: '2026-02-01T21:00:00.000Z', to: '2026-02-08T21:00:00.000Z', timeZone: 'Europe/Moscow' });
		expect(rounded(json.rows)).toEqual(EXPECTED);
	});

	it('--csv and the table', async () => {
		const csv = await cli(['report', '--from', '2026-02-02', '--to', '2026-02-08', '--csv']);
		const lines = csv.stdout.trim().split('\r\n');
		expect(lines[0]).toBe('group,key,name,received,checked,medianHours,p90Hours,onTime,due,onTimePercent,openNow,overdueNow');
		expect(lines[1]).toBe('mentor,maria@school.ru,Мария,5,3,10,26,2,4,50,1,1');
		expect(lines).toHaveLength(6);
		const table = await cli(['report', '--from', '2026-02-02', '--to', '2026-02-08']);
		expect(table.code).toBe(0);
		expect(table.stdout).toMatch(/^Answer checking 2026-02-02 — 2026-02-08/);
		expect(table.stdout).toMatch(/Мария <maria@school\.ru> +5 +3 +10 +26 +50% \(2\/4\) +1 +1/);
		expect(table.stdout).toMatch(/Интенсив <777> +2 +0 +- +- +0% \(0\/1\) +2 +2/);
		expect(table.stdout).toMatch(/total +7 +4 +6 +24 +60% \(3\/5\) +3 +2/);
	});

	it('refuses bad flags with one line', async () => {
		for (const [args, message] of [
			[['--json', '--csv'], /--json and --csv: choose one/],
			[['--from', '2026-02-31'], /--from "2026-02-31" is not a date/],
			[['--from', '2026-02-09', '--to', '2026-02-01'], /the period is empty/],
			[['--weekly'], /unknown option --weekly/],
			[["mentors"], /unexpected argument "mentors"/],
			[['--time-zone', 'Mars/Base'], /Unknown time zone "Mars\/Base"/],
		] as const) {
			const r = await cli(['report', ...args]);
			expect({ args, code: r.code }).toEqual({ args, code: expect.any(Number) });
			expect(r.code).not.toBe(0);
			expect(r.stderr.trim().split('\n')).toHaveLength(1);
			expect(r.stderr).toMatch(message);
		}
	});
});

describe('Maintenance → Review Report and the weekly report', () => {
	it('the node gives one item per mentor, per training and the total', async () => {
		const [items] = await runNode(new GetCourseMaintenance(), {
			parameters: { operation: 'reviewReport', reportFrom: '2026-02-02', reportTo: '2026-02-08' },
			credentials: creds(),
		});
		expect(items.every((i) => i.json.period === '2026-02-02 — 2026-02-08')).toBe(true);
		expect(rounded(items.map(({ json: { period, from, to, ...rest } }) => rest))).toEqual(EXPECTED);
	});

	it('the weekly report covers last Monday to Sunday, goes to the staff chat once a week', async () => {
		const first = await queueWeeklyReport(t.db.pool, { timeZone: 'Europe/Moscow', staffChatId: '-100777', now: new Date('2026-02-09T09:00:00+03:00') });
		expect(first).toMatchObject({ period: '2026-02-02 — 2026-02-08', created: true });
		const again = await queueWeeklyReport(t.db.pool, { timeZone: 'Europe/Moscow', staffChatId: '-100777', now: new Date('2026-02-11T18:00:00+03:00') });
		expect(again.created).toBe(false);
		const rows = await q(`SELECT chat_id, mentor_id, message, reply_markup FROM notifications WHERE type = 'review_report'`);
		expect(rows).toHaveLength(1);
		expect(rows[0]).toMatchObject({ chat_id: '-100777', mentor_id: null, reply_markup: null });
		expect(rows[0].message).toMatch(/^📊 <b>Проверка ответов за 2026-02-02 — 2026-02-08<\/b>\n<pre>/);
		expect(rows[0].message).toMatch(/Мария +5 +3 +10 ч +26 ч +50% +1 +1/);
		expect(rows[0].message).toMatch(/Всего +7 +4 +6 ч +24 ч +60% +3 +2/);
		// the node: the next week's report is another one
		const [out] = await runNode(new GetCourseReviewClock(), { parameters: { operation: 'weeklyReport', staffChatId: '-100777' }, credentials: creds() });
		expect(out[0].json).toMatchObject({ operation: 'weeklyReport', created: true });
		await expect(runNode(new GetCourseReviewClock(), { parameters: { operation: 'weeklyReport', staffChatId: '' }, credentials: creds() })).rejects.toThrow(
			/Staff Chat ID is empty/,
		);
	});
});

describe('trainings.review_hours', () => {
	it('comes from the CSV import (getcourse-bot import trainings) and exports back unchanged; a bad value is rejected with its line', async () => {
		const p = join(dir, 'trainings.csv');
		writeFileSync(p, 'training_id,name,review_hours\n889900,Поток весна,48\n777,Интенсив,"0,5"\n555,Без срока,\n');
		const r = await cli(['import', 'trainings', p]);
		expect(r.stdout).toMatch(/^trainings: 3 created/);
		expect(await q(`SELECT training_id, review_hours::float AS h FROM trainings ORDER BY training_id`)).toEqual([
			{ training_id: '555', h: null },
			{ training_id: '777', h: 0.5 },
			{ training_id: '889900', h: 48 },
		]);
		const exported = await cli(['export', 'trainings']);
		expect(exported.stdout).toBe('training_id,name,review_hours\r\n555,Без срока,\r\n777,Интенсив,0.5\r\n889900,Поток весна,48\r\n');
		writeFileSync(p, exported.stdout);
		expect((await cli(['import', 'trainings', p])).stdout).toMatch(/^trainings: 0 created, 0 versioned, 0 closed, 3 unchanged/);
		writeFileSync(p, 'training_id,name,review_hours\n777,Интенсив,0\n889900,Поток весна,сутки\n');
		const bad = await cli(['import', 'trainings', p]);
		expect(bad.code).toBe(1);
		expect(bad.stdout).toMatch(/line 2 \(777\): review_hours "0" is not a number of hours above 0/);
		expect(bad.stdout).toMatch(/line 3 \(889900\): review_hours "сутки" is not a number of hours/);
	});

	it('comes from the Reference Data node (Sync Versions): a change is a new version', async () => {
		const [out] = await runNode(new GetCourseReferenceData(), {
			items: [{ json: { training_id: '777', name: 'Интенсив', review_hours: 2 } }],
			parameters: { operation: 'syncVersions', table: 'trainings' },
			credentials: creds(),
		});
		expect(out[0].json).toMatchObject({ action: 'versioned' });
		expect(await q(`SELECT review_hours::float AS h FROM trainings WHERE training_id = '777' AND valid_to > NOW() AND valid_from <= NOW()`)).toEqual([{ h: 2 }]);
	});
});
