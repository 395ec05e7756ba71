import { reserveSendSlotAt } from '../db/sendPace';
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

/**
 * Waits until the bot may start its next request. The overall rate is per bot, whatever runs
 * it: queue-mode workers and parallel executions reserve their slots in PostgreSQL (send_pace),
 * at most `pace.count` in any `pace.windowMs`. A timer that fires late (a busy event loop) would
 * start a request in the time of a later slot, next to another process's send: Telegram then
 * counts 31 in a second. So a slot missed by more than LATE_SLOT_MS is given up and a fresh one
 * reserved (at most three tries, then it starts anyway). If the database cannot be asked, the
 * local pace holds. Returns the slot taken (the database's text of it, for noteSlotAnswered), or
 * null when the local pace alone applied.
 */
export async function awaitSharedSlot(
	q: Queryable,
	key: string,
	localWaitMs: number,
	pace: PaceWindow,
	clock: SlotClock = realClock,
): Promise<string | null> {
	for (let attempt = 1; ; attempt++) {
		const asked = clock.now();
		let reserved: { waitMs: number; slot: string | null };
		try {
			reserved = await reserveSendSlotAt(q, key, localWaitMs, pace.count, pace.windowMs);
		} catch {
			await clock.sleep(localWaitMs - (clock.now() - asked));
			return null;
		}
		// The database measured the wait when the UPDATE ran: after any wait for the pool or for
		// another sender's row lock, so at the end of the round trip, not its middle. Counting from
		// the answer can only start late (by the answer's way back); counting from the middle of a
		// round trip spent queueing started sends early, next to the slot before (31 in a second).
		const due = clock.now() + reserved.waitMs;
		await clock.sleep(due - clock.now());
		if (clock.now() - due <= LATE_SLOT_MS || attempt >= MAX_TRIES) return reserved.slot;
		localWaitMs = 0;
	}
}
