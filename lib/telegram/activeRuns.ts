/**
 * One Send Pending run at a time per bot and database pool (in practice: per bot in this process,
 * the nodes keep one pool per credential). Coalesced trigger starts, schedules
 * and parallel workflows each end in Send Pending; forty runs at once would each claim, top up
 * and poll, sharing Telegram's 30 a second between them and partitioning the chats (a chat with a
 * message in flight belongs to one run) for no gain. So a run that finds another one active for
 * the same bot wakes it — the active run claims again at once and takes the new work — and waits
 * for it to end; then it claims whatever is left itself. Nothing is orphaned: the last run
 * always looks after the one before it ended. Other processes (queue-mode workers) have their
 * own; PostgreSQL keeps them apart (claims, send_pace, chat_pace), as it does two pools here.
 */
export interface ActiveRun {
	/** Set by a waiting run: claim again before ending, and do not wait for the top-up time. */
	wakeRequested: boolean;
	/** Resolves the active run's current wait at once (see wakeSignal). */
	wakeSignal: Promise<void>;
	wake: () => void;
	finished: Promise<void>;
}

const byPool = new WeakMap<object, Map<string, ActiveRun>>();

function newSignal(run: ActiveRun): void {
	run.wakeSignal = new Promise<void>((resolve) => {
		run.wake = () => {
			run.wakeRequested = true;
			resolve();
		};
	});
}

/**
 * Waits until no other run is active for this bot (waking the active one first), then registers
 * this one. The caller must call the returned `end()` when its run is over, whatever happens.
 */
export async function becomeActive(pool: object, botKey: string): Promise<{ run: ActiveRun; end: () => void }> {
	let active = byPool.get(pool);
	if (!active) byPool.set(pool, (active = new Map()));
	for (;;) {
		const current = active.get(botKey);
		if (!current) break;
		current.wake();
		await current.finished;
	}
	let done!: () => void;
	const run = { wakeRequested: false, finished: new Promise<void>((r) => (done = r)) } as ActiveRun;
	newSignal(run);
	active.set(botKey, run);
	return {
		run,
		end: () => {
			if (active.get(botKey) === run) active.delete(botKey);
			done();
		},
	};
}

/** The active run took note of a wake-up: the next one gets a fresh signal. */
export function consumeWake(run: ActiveRun): boolean {
	if (!run.wakeRequested) return false;
	run.wakeRequested = false;
	newSignal(run);
	return true;
}
