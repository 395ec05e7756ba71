import { Pool } from 'pg';
import { closeAllPools, poolConfig } from '../../lib/db/pool';
import { ensurePaceRow, noteSlotAnswered, reserveSendSlots } from '../../lib/db/sendPace';
import type { Queryable } from '../../lib/db/types';
import { awaitSharedSlot, LATE_SLOT_MS } from '../../lib/telegram/sharedSlot';
import { createTestDb, type TestDb } from '../support/db';

let t: TestDb;
/** One slot, as a sender with one message asks for it. */
const reserveOne = async (q: Queryable, key: string, notBeforeMs: number, count: number, windowMs: number) => (await reserveSendSlots(q, key, notBeforeMs, 1, count, windowMs))[0];
beforeAll(async () => {
	t = await createTestDb('pace');
});
afterAll(async () => {
	await t.drop();
	await closeAllPools();
});

/** Slots on the database's clock (ms), and the most of them in any `windowMs`. */
const mostInWindow = (starts: number[], windowMs: number) => Math.max(...starts.map((s) => starts.filter((x) => x >= s && x < s + windowMs).length));

it('two processes (separate pools) reserving slots for one bot share one window: a burst goes at once, then at most `count` in any window', async () => {
	// Two pools stand for two queue-mode workers: nothing is shared but the database.
	const a = new Pool(poolConfig(t.settings, t.db.host, 2));
	const b = new Pool(poolConfig(t.settings, t.db.host, 2));
	try {
		await ensurePaceRow(a, 'bot-1');
		await ensurePaceRow(b, 'bot-1');
		const slots: Array<{ at: number; waitMs: number }> = [];
		const worker = async (p: Pool) => {
			for (let i = 0; i < 8; i++) {
				// the slot on the database's clock (what both processes share; no network jitter in it)
				const slot = await reserveOne(p, 'bot-1', 0, 4, 200);
				slots.push({ at: slot.at!.getTime(), waitMs: slot.waitMs });
			}
		};
		await Promise.all([worker(a), worker(b)]);
		slots.sort((x, y) => x.at - y.at);
		const starts = slots.map((s) => s.at);
		expect(starts).toHaveLength(16);
		// the first four at once (no wait), the fifth a window after the first: 16 slots span at least three windows
		expect(slots.slice(0, 4).every((s) => s.waitMs === 0)).toBe(true);
		expect(starts[4] - starts[0]).toBeGreaterThanOrEqual(199); // timestamps are microseconds: allow rounding
		expect(starts[15] - starts[0]).toBeGreaterThanOrEqual(599);
		expect(mostInWindow(starts, 199)).toBe(4);
		// another bot is not held back by this one
		await ensurePaceRow(a, 'bot-2');
		expect((await reserveOne(a, 'bot-2', 0, 4, 200)).waitMs).toBe(0);
	} finally {
		await a.end();
		await b.end();
	}
});

it('an answered slot counts from its answer: the next window starts after it, not after the start', async () => {
	const p = new Pool(poolConfig(t.settings, t.db.host, 1));
	try {
		await ensurePaceRow(p, 'bot-3');
		const first = await reserveOne(p, 'bot-3', 0, 1, 1000);
		await new Promise((r) => setTimeout(r, 150));
		await noteSlotAnswered(p, 'bot-3', first.slot!);
		const answered = (await p.query(`SELECT (extract(epoch FROM recent_slots[1]) * 1000)::float8 AS ms FROM send_pace WHERE bot_key = 'bot-3'`)).rows[0].ms;
		expect(answered - first.at!.getTime()).toBeGreaterThanOrEqual(150);
		const second = await reserveOne(p, 'bot-3', 0, 1, 1000);
		expect(second.at!.getTime() - answered).toBeGreaterThanOrEqual(999);
		// a slot no longer among the latest is left alone
		await noteSlotAnswered(p, 'bot-3', first.slot!);
		expect((await p.query(`SELECT cardinality(recent_slots) AS n FROM send_pace WHERE bot_key = 'bot-3'`)).rows[0].n).toBe(1);
	} finally {
		await p.end();
	}
});

it('several slots in one statement: as many as the window has room for go now, each its own, the rest a window after the slots they follow', async () => {
	const p = new Pool(poolConfig(t.settings, t.db.host, 1));
	try {
		await ensurePaceRow(p, 'bot-batch');
		// two slots taken, then a batch of four in a window of four: two now, two a window after the first two
		const before = await reserveSendSlots(p, 'bot-batch', 0, 2, 4, 500);
		const batch = await reserveSendSlots(p, 'bot-batch', 0, 4, 4, 500);
		expect(before.map((s) => s.waitMs)).toEqual([0, 0]);
		expect(batch).toHaveLength(4);
		const at = batch.map((s) => s.at!.getTime());
		expect(batch.slice(0, 2).every((s) => s.waitMs === 0)).toBe(true);
		expect(at[2] - before[0].at!.getTime()).toBeGreaterThanOrEqual(499);
		expect(at[3] - before[1].at!.getTime()).toBeGreaterThanOrEqual(499);
		// every slot its own (noteSlotAnswered moves one, not all that share a time), in order
		const all = [...before, ...batch].map((s) => s.slot);
		expect(new Set(all).size).toBe(6);
		expect([...at].sort((x, y) => x - y)).toEqual(at);
		// never more than the window's count in one statement
		expect(await reserveSendSlots(p, 'bot-batch', 0, 9, 4, 500)).toHaveLength(4);
		const kept = (await p.query(`SELECT cardinality(recent_slots) AS n FROM send_pace WHERE bot_key = 'bot-batch'`)).rows[0].n;
		expect(kept).toBe(4);
	} finally {
		await p.end();
	}
});

it('a statement that waited for a connection counts its wait and its answer from when it was asked, not from when a connection came free', async () => {
	const p = new Pool(poolConfig(t.settings, t.db.host, 1));
	const clock = async () => (await t.db.pool.query(`SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS ms`)).rows[0].ms as number;
	try {
		await ensurePaceRow(p, 'bot-queue');
		// the pool's only connection is busy for 2 s while both statements are asked for (each bound
		// below lies halfway between what the two clocks give: 1 s from either)
		const held = await p.connect();
		const asked = await clock();
		const slot = reserveSendSlots(p, 'bot-queue', 4000, 1, 4, 1000);
		const answeredAt = Date.now();
		const first = await reserveOne(t.db.pool, 'bot-queue', 0, 4, 1000);
		const noted = noteSlotAnswered(p, 'bot-queue', first.slot!, answeredAt);
		await new Promise((r) => setTimeout(r, 2000));
		held.release();
		const [reserved] = await slot;
		await noted;
		// the slot is 4 s after the asking, not 4 s after the connection came free (6 s)
		expect(reserved.at!.getTime() - asked).toBeGreaterThanOrEqual(3990);
		expect(reserved.at!.getTime() - asked).toBeLessThan(5000);
		// the answered slot moved to about the answer, not to when its statement ran 2 s later
		const moved = (await p.query(`SELECT (extract(epoch FROM t) * 1000)::float8 AS ms FROM send_pace, unnest(recent_slots) t WHERE bot_key = 'bot-queue' ORDER BY t LIMIT 1`)).rows[0].ms;
		expect(moved - first.at!.getTime()).toBeLessThan(1000);
		// an answer older than its slot leaves the slot at its start
		const other = await reserveOne(t.db.pool, 'bot-queue', 0, 4, 1000);
		await noteSlotAnswered(t.db.pool, 'bot-queue', other.slot!, Date.now() - 60_000);
		const stays = (await p.query(`SELECT $1::timestamptz = ANY(recent_slots) AS stays FROM send_pace WHERE bot_key = 'bot-queue'`, [other.slot])).rows[0].stays;
		expect(stays).toBe(true);
	} finally {
		await p.end();
	}
});

/** A pace that never holds a slot back (these tests are about the timers). */
const ANY_PACE = { count: 1000, windowMs: 1000 };

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
			await awaitSharedSlot(q as never, 'bot-late', 0, ANY_PACE, fakeClock(() => LATE_SLOT_MS));
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
			await awaitSharedSlot(q as never, 'bot-late', 0, ANY_PACE, fakeClock((i) => (i === 0 ? LATE_SLOT_MS + 40 : 0)));
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
			await awaitSharedSlot(q as never, 'bot-queued', 200, ANY_PACE, clock);
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
			await awaitSharedSlot(q as never, 'bot-late', 0, ANY_PACE, fakeClock(() => 500));
			expect(q.reservations).toBe(3);
		} finally {
			await p.end();
		}
	});
});
