import { reserveSendSlots } from '../db/sendPace';
import type { Queryable } from '../db/types';
import type { PaceWindow } from './pacer';

export interface SlotClock {
	now: () => number;
	sleep: (ms: number) => Promise<void>;
}

const realClock: SlotClock = {
	now: Date.now,
	sleep: (ms) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms))),
};

/** A start this much after its reserved slot gives the slot up (see awaitSharedSlot). */
export const LATE_SLOT_MS = 10;
const MAX_TRIES = 3;

/** A slot reserved in send_pace: when it is due on this process's clock, and its text there. */
export interface ReservedSlot {
	dueAt: number;
	/** Null when the local pace alone applies (no pace row, or the database could not be asked). */
	slot: string | null;
}

/**
 * Reserves `n` of the bot's next send slots in one round trip (at most the window's count). The
 * overall rate is per bot, whatever runs it: queue-mode workers and parallel executions reserve
 * their slots in PostgreSQL (send_pace), at most `pace.count` in any `pace.windowMs`. If the
 * database cannot be asked, the local pace holds: the slots are due after `localWaitMs`.
 */
export async function reserveSharedSlots(q: Queryable, key: string, localWaitMs: number, n: number, pace: PaceWindow, clock: SlotClock = realClock): Promise<ReservedSlot[]> {
	const asked = clock.now();
	try {
		const slots = await reserveSendSlots(q, key, localWaitMs, n, pace.count, pace.windowMs);
		// The database measured the wait when the UPDATE ran: after any wait for the pool or for
		// another sender's row lock, so at the end of the round trip, not its middle. Counting from
		// the answer can only start late (by the answer's way back); counting from the middle of a
		// round trip spent queueing started sends early, next to the slot before (31 in a second).
		const answered = clock.now();
		return slots.map((s) => ({ dueAt: answered + s.waitMs, slot: s.slot }));
	} catch {
		return Array.from({ length: Math.max(1, Math.min(n, pace.count)) }, () => ({ dueAt: asked + localWaitMs, slot: null }));
	}
}

/**
 * Waits until the bot may start its next request (its slot `first`, when already reserved). A
 * timer that fires late (a busy event loop) would start a request in the time of a later slot,
 * next to another process's send: Telegram then counts 31 in a second. So a slot missed by more
 * than LATE_SLOT_MS is given up and a fresh one reserved (at most three tries, then it starts
 * anyway). Returns the slot taken (the database's text of it, for noteSlotAnswered), or null when
 * the local pace alone applied.
 */
export async function awaitSharedSlot(q: Queryable, key: string, localWaitMs: number, pace: PaceWindow, clock: SlotClock = realClock, first?: ReservedSlot): Promise<string | null> {
	for (let attempt = 1; ; attempt++) {
		const reserved = attempt === 1 && first ? first : (await reserveSharedSlots(q, key, localWaitMs, 1, pace, clock))[0];
		await clock.sleep(reserved.dueAt - clock.now());
		if (reserved.slot === null || clock.now() - reserved.dueAt <= LATE_SLOT_MS || attempt >= MAX_TRIES) return reserved.slot;
		localWaitMs = 0;
	}
}
