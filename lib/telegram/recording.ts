/**
 * Writing down what Telegram answered must outlast a database blip: once a message went out, a
 * lost write would let the claim expire and the message go out again. So a result is written
 * again and again (each try takes a fresh pooled connection) until it sticks or the claim's lease
 * is about to end; only then is it given up. The writes are guarded by the claim token and
 * recognise their own earlier success, so repeating them is harmless. Past the lease, the next
 * claim of the row counts it in uncertain_sends (lib/db/notificationClaims.ts).
 */

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

/** Errors worth trying again: no SQLSTATE (network, pool timeout), or a connection, resource, shutdown or deadlock class. */
export function isRetryableDbError(err: unknown): boolean {
	const code = String((err as { code?: unknown })?.code ?? '');
	if (!/^[0-9A-Z]{5}$/.test(code)) return true;
	return ['08', '40', '53', '55', '57', '58'].includes(code.slice(0, 2));
}

export interface RetryWindow {
	/** Local time (ms) at which the claim's lease ends. */
	leaseEndsAt: number;
	/** Stop this long before the lease ends (the last try must land before it). */
	marginMs?: number;
	firstDelayMs?: number;
	maxDelayMs?: number;
}

export async function untilLeaseEnds<T>(write: () => Promise<T>, w: RetryWindow): Promise<T> {
	const { leaseEndsAt, marginMs = 1000, firstDelayMs = 100, maxDelayMs = 2000 } = w;
	for (let attempt = 0; ; attempt++) {
		try {
			return await write();
		} catch (err) {
			const delay = Math.min(maxDelayMs, firstDelayMs * 2 ** attempt);
			if (!isRetryableDbError(err) || Date.now() + delay >= leaseEndsAt - marginMs) throw err;
			await sleep(delay);
		}
	}
}
