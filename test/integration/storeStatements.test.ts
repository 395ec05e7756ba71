import type { PoolClient } from 'pg';
import { closeAllPools } from '../../lib/db/pool';
import { namedStatements, queryNamed } from '../../lib/db/prepared';
import { storeEvents } from '../../lib/store/storeEvents';
import { createTestDb, type TestDb } from '../support/db';
import { processCall } from '../support/fixtures';

let t: TestDb;
const q = (sql: string, v: unknown[] = []) => t.db.pool.query(sql, v);
const opts = { timeZone: 'Europe/Moscow', notifyStatuses: ['new'] };
const call = (answerId: string, extra: Record<string, string> = {}) => processCall({ answer_id: answerId, ...extra }).json;

beforeAll(async () => {
	t = await createTestDb('storestmt');
});
afterAll(async () => {
	await t.drop();
	await closeAllPools();
});
beforeEach(async () => {
	namedStatements.reset();
	await q('TRUNCATE webhook_events, error_logs RESTART IDENTITY');
});

/**
 * Runs fn in a transaction on one connection and says how webhook_events was read meanwhile: the
 * backend's counters before and after (they may also hold earlier transactions not yet reported).
 */
async function scansDuring(c: PoolClient, fn: () => Promise<unknown>): Promise<{ seq: number; idx: number }> {
	const read = async () =>
		(await c.query(`SELECT seq_scan::int AS seq, coalesce(idx_scan, 0)::int AS idx FROM pg_stat_xact_user_tables WHERE relid = 'webhook_events'::regclass`)).rows[0];
	await c.query('BEGIN');
	try {
		const before = await read();
		await fn();
		const after = await read();
		return { seq: after.seq - before.seq, idx: after.idx - before.idx };
	} finally {
		await c.query('ROLLBACK');
	}
}

describe('the intake statement', () => {
	it('reads webhook_events by index only, however many events are stored (no call reads the whole table)', async () => {
		// 3,000 stored events and fresh statistics: the size at which the planner hashed the key check over a full scan
		const c = await t.db.pool.connect();
		try {
			await storeEvents(c, Array.from({ length: 3000 }, (_, i) => call(String(800000000 + i))), opts);
			await c.query('ANALYZE webhook_events');
			for (let round = 0; round < 7; round++) {
				// a new answer, its redelivery and a new status of it: every branch of the key decision
				const id = String(900000000 + round);
				expect(await scansDuring(c, () => storeEvents(c, [call(id)], opts))).toMatchObject({ seq: 0 });
				await storeEvents(c, [call(id)], opts);
				expect(await scansDuring(c, () => storeEvents(c, [call(id)], opts))).toMatchObject({ seq: 0 });
				const scans = await scansDuring(c, () => storeEvents(c, [call(id, { answer_status: 'accepted' })], opts));
				expect(scans.seq).toBe(0);
				expect(scans.idx).toBeGreaterThan(0);
			}
		} finally {
			c.release();
		}
	});

	it('is prepared once per connection; a pooler that loses it (PgBouncer in transaction mode) gets it plain and nothing is lost', async () => {
		const c = await t.db.pool.connect();
		try {
			const [first] = await storeEvents(c, [call('700000001')], opts);
			expect(first.status).toBe('stored');
			const prepared = await c.query(`SELECT name FROM pg_prepared_statements WHERE name = 'gcb_store_round_1'`);
			expect(prepared.rowCount).toBe(1);
			// what a transaction-mode pooler does: the next server connection does not have it
			await c.query('DEALLOCATE gcb_store_round_1');
			const [second] = await storeEvents(c, [call('700000002')], opts);
			expect(second.status).toBe('stored');
			expect(namedStatements.enabled()).toBe(false);
			const [third] = await storeEvents(c, [call('700000002')], opts);
			expect(third.status).toBe('duplicate');
			const rows = await q(`SELECT answer_id, delivery_count FROM webhook_events ORDER BY id`);
			expect(rows.rows).toEqual([
				{ answer_id: '700000001', delivery_count: 1 },
				{ answer_id: '700000002', delivery_count: 2 },
			]);
		} finally {
			c.release();
		}
	});

	it('inside a transaction a lost named statement fails that transaction once (nothing half done); the next runs plain', async () => {
		const c = await t.db.pool.connect();
		try {
			await queryNamed(c, 'gcb_test_named_1', 'SELECT $1::int AS n', [1]);
			await c.query('DEALLOCATE gcb_test_named_1');
			await c.query('BEGIN');
			await expect(queryNamed(c, 'gcb_test_named_1', 'SELECT $1::int AS n', [2])).rejects.toMatchObject({ code: '26000' });
			await c.query('ROLLBACK');
			expect(namedStatements.enabled()).toBe(false);
			await c.query('BEGIN');
			expect((await queryNamed<{ n: number }>(c, 'gcb_test_named_1', 'SELECT $1::int AS n', [3])).rows).toEqual([{ n: 3 }]);
			await c.query('COMMIT');
			expect((await c.query(`SELECT count(*)::int AS n FROM pg_prepared_statements WHERE name = 'gcb_test_named_1'`)).rows).toEqual([{ n: 0 }]);
		} finally {
			c.release();
		}
	});
});
