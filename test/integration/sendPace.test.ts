import { Pool } from 'pg';
import { closeAllPools, poolConfig } from '../../lib/db/pool';
import { ensurePaceRow, reserveSendSlot, reserveSendSlotAt } from '../../lib/db/sendPace';
import { awaitSharedSlot, LATE_SLOT_MS } from '../../lib/telegram/sharedSlot';
import { createTestDb, type TestDb } from '../support/db';

let t: TestDb;
beforeAll(async () => {
	t = await createTestDb('pace');
});
afterAll(async () => {
	await t.drop();
	await closeAllPools();
});

it('two processes (separate pools) reserving slots for one bot get them spaced by the gap, in one sequence', async () => {
	// Two pools stand for two queue-mode workers: nothing is shared but the database.
	const a = new Pool(poolConfig(t.settings, t.db.host, 2));
	const b = new Pool(poolConfig(t.settings, t.db.host, 2));
	try {
		await ensurePaceRow(a, 'bot-1');
		await ensurePaceRow(b, 'bot-1');
		const starts: number[] = [];
		const worker = async (p: Pool) => {
			for (let i = 0; i < 8; i++) {
				// the slot on the database's clock (what both processes share; no network jitter in it)
				const slot = await reserveSendSlotAt(p, 'bot-1', 0, 50);
				starts.push(slot.at!.getTime());
			}
		};
		await Promise.all([worker(a), worker(b)]);
		starts.sort((x, y) => x - y);
		const gaps = starts.slice(1).map((s, i) => s - starts[i]);
		expect(starts).toHaveLength(16);
		// 50 ms apart (timestamps are microseconds: allow rounding), so 16 slots span at least 750 ms
		expect(Math.min(...gaps)).toBeGreaterThanOrEqual(49);
		expect(starts[15] - starts[0]).toBeGreaterThanOrEqual(749);
		// another bot is not held back by this one
		await ensurePaceRow(a, 'bot-2');
		expect(await reserveSendSlot(a, 'bot-2', 0, 50)).toBe(0);
	} finally {
		await a.end();
		await b.end();
	}
});

describe('awaitSharedSlot: a slot missed by a late timer is given up, not bunched with the next one', () => {
	/** A clock that never really sleeps: each sleep advances it by the time asked plus `late(i)`. */
	const fakeClock = (late: (i: number) => number) => {
		let t = 1_000_000;
		let sleeps = 0;
		return { now: () => t, sleep: async (ms: number) => void (t += Math.max(0, ms) + late(sleeps++)) };
	};
	const counting = (p: Pool) => {
		const c = { reservations: 0, query: (text: string, values?: unknown[]) => (c.reservations++, p.query(text, values)) };
		return c;
	};

	it('on time: one reservation', async () => {
		const p = new Pool(poolConfig(t.settings, t.db.host, 1));
		try {
			await ensurePaceRow(p, 'bot-late');
			const q = counting(p);
			await awaitSharedSlot(q as never, 'bot-late', 0, 1, fakeClock(() => LATE_SLOT_MS));
			expect(q.reservations).toBe(1);
		} finally {
			await p.end();
		}
	});

	it('late once: the slot is given up and a second one reserved', async () => {
		const p = new Pool(poolConfig(t.settings, t.db.host, 1));
		try {
			await ensurePaceRow(p, 'bot-late');
			const q = counting(p);
			await awaitSharedSlot(q as never, 'bot-late', 0, 1, fakeClock((i) => (i === 0 ? LATE_SLOT_MS + 40 : 0)));
			expect(q.reservations).toBe(2);
		} finally {
			await p.end();
		}
	});

	it('a reservation that queued (for the pool, for another sender\'s lock) counts its wait from the answer: never early', async () => {
		const p = new Pool(poolConfig(t.settings, t.db.host, 1));
		try {
			await ensurePaceRow(p, 'bot-queued');
			const clock = fakeClock(() => 0);
			const slept: number[] = [];
			const sleep = clock.sleep;
			clock.sleep = async (ms: number) => (slept.push(ms), sleep(ms));
			// the round trip takes 80 ms on the caller's clock, all of it before the UPDATE ran
			const q = {
				query: async (text: string, values?: unknown[]) => {
					await sleep(80);
					return p.query(text, values);
				},
			};
			await awaitSharedSlot(q as never, 'bot-queued', 200, 1, clock);
			// the database said "200 ms from now" when the answer came: the start is 200 ms after it
			expect(slept.length).toBe(1);
			expect(slept[0]).toBeGreaterThan(190);
		} finally {
			await p.end();
		}
	});

	it('always late: three tries, then it starts anyway', async () => {
		const p = new Pool(poolConfig(t.settings, t.db.host, 1));
		try {
			await ensurePaceRow(p, 'bot-late');
			const q = counting(p);
			await awaitSharedSlot(q as never, 'bot-late', 0, 1, fakeClock(() => 500));
			expect(q.reservations).toBe(3);
		} finally {
			await p.end();
		}
	});
});
