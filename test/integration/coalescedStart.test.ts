import { closeAllPools } from '../../lib/db/pool';
import { Client } from 'pg';
import { beginStart, forgetStartsHere, LOCAL_WINDOW_MS, releaseStart, startsIn, startWaitingHere } from '../../lib/store/coalescedStart';
import { startExecution } from '../../lib/store/receiveWebhook';
import { GetCourseResolveMentor } from '../../nodes/GetCourseResolveMentor/GetCourseResolveMentor.node';
import { GetCourseStoreEvent } from '../../nodes/GetCourseStoreEvent/GetCourseStoreEvent.node';
import { createTestDb, seedReference, type TestDb } from '../support/db';
import { processCall } from '../support/fixtures';
import { runNode } from '../support/nodeContext';

let t: TestDb;
const q = (sql: string, v: unknown[] = []) => t.db.pool.query(sql, v);
const creds = () => ({ getCourseBotPostgres: t.credential as never });

beforeAll(async () => {
	t = await createTestDb('coalesce');
});
afterAll(async () => {
	await t.drop();
	await closeAllPools();
});
beforeEach(async () => {
	forgetStartsHere();
	await q('TRUNCATE webhook_events, notifications, pipeline_starts, mentors, students, mapping RESTART IDENTITY');
});

describe('coalesced starts: at most one execution waiting to claim per trigger', () => {
	it('of many calls at once exactly one starts an execution; the others find it waiting', async () => {
		const results = await Promise.all(Array.from({ length: 20 }, () => beginStart(t.db.pool, 'wf1:trigger')));
		expect(results.filter(Boolean)).toHaveLength(1);
		// another trigger (another workflow or node) has a start of its own
		expect(await beginStart(t.db.pool, 'wf2:trigger')).not.toBeNull();
	});

	it('once the waiting execution releases its start (just before it claims), the next new answer starts another', async () => {
		const first = await beginStart(t.db.pool, 'wf1:trigger');
		expect(first).not.toBeNull();
		expect(await beginStart(t.db.pool, 'wf1:trigger')).toBeNull();
		await releaseStart(t.db.pool, first!);
		const second = await beginStart(t.db.pool, 'wf1:trigger');
		expect(second).not.toBeNull();
		// a late release of the first start does not clear the second
		await releaseStart(t.db.pool, first!);
		expect(await beginStart(t.db.pool, 'wf1:trigger')).toBeNull();
		expect((await q(`SELECT starts FROM pipeline_starts WHERE start_key = 'wf1:trigger'`)).rows).toEqual([{ starts: '2' }]);
	});

	it('a call that finds a start waiting takes no row lock: the burst does not queue on one row', async () => {
		expect(await beginStart(t.db.pool, 'wf1:trigger')).not.toBeNull();
		const holder = await t.db.pool.connect();
		const caller = await t.db.pool.connect();
		try {
			await holder.query('BEGIN');
			await holder.query(`SELECT 1 FROM pipeline_starts WHERE start_key = 'wf1:trigger' FOR UPDATE`);
			await caller.query(`SET lock_timeout = '500ms'`);
			// with the row locked elsewhere, a call that had to lock it would fail on the lock timeout
			expect(await beginStart(caller, 'wf1:trigger')).toBeNull();
		} finally {
			await holder.query('ROLLBACK');
			await caller.query('RESET lock_timeout');
			holder.release();
			caller.release();
		}
	});

	it('a start whose execution never claimed (it failed early) is taken for lost after the timeout', async () => {
		expect(await beginStart(t.db.pool, 'wf1:trigger', 30)).not.toBeNull();
		expect(await beginStart(t.db.pool, 'wf1:trigger', 30)).toBeNull();
		await q(`UPDATE pipeline_starts SET pending_since = NOW() - interval '31 seconds'`);
		expect(await beginStart(t.db.pool, 'wf1:trigger', 30)).not.toBeNull();
	});

	it('startExecution: per event always starts, coalesced only when none waits, never does not', async () => {
		const wanted = { eventId: '1', kind: 'answer' };
		expect(await startExecution(t.db, 'eachNew', 'k', wanted)).toEqual(wanted);
		expect(await startExecution(t.db, 'eachNew', 'k', wanted)).toEqual(wanted);
		expect(await startExecution(t.db, 'never', 'k', wanted)).toBeNull();
		expect(await startExecution(t.db, 'coalesced', 'k', null)).toBeNull();
		const item = await startExecution(t.db, 'coalesced', 'k', wanted);
		expect(item).toMatchObject({ ...wanted, startKey: 'k', startToken: expect.stringMatching(/^[0-9a-f-]{36}$/), coalesced: true });
		expect(await startExecution(t.db, 'coalesced', 'k', wanted)).toBeNull();
		expect(startsIn([{ json: item! }, { json: { startKey: 'x', startToken: 'not-a-uuid' } }, { json: {} }])).toEqual([
			{ startKey: 'k', startToken: (item as { startToken: string }).startToken },
		]);
	});
});

describe('coalesced starts known in this process (regular mode: the execution runs where the trigger is)', () => {
	const wanted = { eventId: '1', kind: 'answer' };
	/** Statements startExecution sends to PostgreSQL. */
	async function statementsOf(fn: () => Promise<unknown>): Promise<{ result: unknown; statements: number }> {
		const spy = jest.spyOn(Client.prototype, 'query');
		try {
			const result = await fn();
			return { result, statements: spy.mock.calls.length };
		} finally {
			spy.mockRestore();
		}
	}

	it('once a start of this trigger was released here, the next one waiting here is known without asking the database', async () => {
		const first = (await startExecution(t.db, 'coalesced', 'k', wanted)) as { startKey: string; startToken: string };
		// the first start's execution: not yet known to run here, so calls still ask the database
		expect(await statementsOf(() => startExecution(t.db, 'coalesced', 'k', wanted))).toEqual({ result: null, statements: 1 });
		await releaseStart(t.db.pool, first); // its execution, in this process, releases it
		const second = (await startExecution(t.db, 'coalesced', 'k', wanted)) as { startKey: string; startToken: string };
		expect(second).toMatchObject({ startKey: 'k', coalesced: true });
		expect(startWaitingHere('k')).toBe(true);
		expect(await statementsOf(() => startExecution(t.db, 'coalesced', 'k', wanted))).toEqual({ result: null, statements: 0 });
		// released here: the next new answer starts the next execution, through the database
		await releaseStart(t.db.pool, second);
		expect(startWaitingHere('k')).toBe(false);
		const third = await statementsOf(() => startExecution(t.db, 'coalesced', 'k', wanted));
		expect(third.result).toMatchObject({ startKey: 'k', coalesced: true });
		expect(third.statements).toBe(1);
		expect((await q(`SELECT starts FROM pipeline_starts WHERE start_key = 'k'`)).rows).toEqual([{ starts: '3' }]);
	});

	it('queue mode: starts released by another process (a worker) are never taken as waiting here', async () => {
		for (let i = 0; i < 3; i++) {
			const start = await startExecution(t.db, 'coalesced', 'k', wanted);
			expect(start).toMatchObject({ coalesced: true }); // the worker released the one before
			expect(startWaitingHere('k')).toBe(false);
			// the worker's Resolve Mentor, in its own process: only the database hears of it
			await q(`UPDATE pipeline_starts SET pending_token = NULL, pending_since = NULL WHERE start_key = 'k'`);
		}
	});

	it('what this process knows holds for a while only; then the database decides again', async () => {
		const first = (await startExecution(t.db, 'coalesced', 'k', wanted)) as { startKey: string; startToken: string };
		await releaseStart(t.db.pool, first);
		expect(await startExecution(t.db, 'coalesced', 'k', wanted)).toMatchObject({ coalesced: true });
		expect(startWaitingHere('k')).toBe(true);
		expect(startWaitingHere('k', Date.now() + LOCAL_WINDOW_MS + 1)).toBe(false);
		expect(startWaitingHere('another trigger')).toBe(false);
	});
});

describe('Resolve Mentor started by a coalesced start', () => {
	beforeEach(async () => {
		await seedReference(t.db, {
			mentors: [{ email: 'm@school.ru', telegram_id: 1001, first_name: 'Мария' }],
			students: [{ user_id: '45678901', email: 'ivan@example.ru', first_name: 'Иван' }],
			mapping: [{ student_email: 'ivan@example.ru', mentor_email: 'm@school.ru', training_id: null }],
		});
		const calls = Array.from({ length: 25 }, (_, i) => processCall({ answer_id: String(7100 + i), event_date: '2026-02-03 10:00:00' }));
		await runNode(new GetCourseStoreEvent(), { items: calls, credentials: creds() });
	});

	it('releases the start, then claims batch after batch until none wait: everything stored meanwhile', async () => {
		const start = await beginStart(t.db.pool, 'wf1:trigger');
		const [resolved] = await runNode(new GetCourseResolveMentor(), {
			items: [{ json: { eventId: '1', ...start } }],
			parameters: { batchSize: 10 },
			credentials: creds(),
		});
		expect(resolved).toHaveLength(25); // 10 + 10 + 5
		expect(await beginStart(t.db.pool, 'wf1:trigger')).not.toBeNull(); // released
	});

	it('without a start (a schedule, or per-event mode) it claims one batch', async () => {
		const [resolved] = await runNode(new GetCourseResolveMentor(), { parameters: { batchSize: 10 }, credentials: creds() });
		expect(resolved).toHaveLength(10);
	});
});
