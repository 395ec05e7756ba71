import type { PoolClient } from 'pg';
import type { PgSettings } from '../config';
import { connect, getDb, type Db, type PoolProfile } from './pool';

/**
 * Intake (GetCourse Trigger, Store Event) must answer every call within seconds whatever the
 * database does (SPEC §12). It gets a small pool of its own, so slow Resolve or Send work never
 * holds the connections it needs, and every connection of that pool carries the timeouts:
 * connecting, waiting for a lock, running a statement. A deadline on the whole call covers
 * what the server cannot time itself (a frozen server or network): the connection is then
 * destroyed, never handed to the next call.
 */
export interface IntakeLimits {
	/** The whole call: connecting, checking the schema, storing. */
	answerWithinMs: number;
	/** Opening a connection (or waiting for a free one); capped by the credential's timeout. */
	connectTimeoutMs: number;
	/** Waiting for a row or table lock held by someone else. */
	lockTimeoutMs: number;
}

export const DEFAULT_INTAKE_LIMITS: IntakeLimits = { answerWithinMs: 8000, connectTimeoutMs: 3000, lockTimeoutMs: 2000 };

/** Connections of the intake pool (per credential and process). */
export const INTAKE_POOL_SIZE = 4;

/** Limits from node parameters in seconds; missing ones take the defaults. */
export function intakeLimits(input: { answerWithinSeconds?: unknown; connectTimeoutSeconds?: unknown; lockTimeoutSeconds?: unknown } = {}): IntakeLimits {
	const seconds = (v: unknown, fallbackMs: number, what: string, max: number): number => {
		if (v === undefined || v === null || v === '') return fallbackMs;
		const n = Number(v);
		if (!Number.isFinite(n) || n <= 0 || n > max) throw new Error(`${what} must be a number of seconds above 0 and at most ${max}, not ${JSON.stringify(v)}`);
		return Math.round(n * 1000);
	};
	const answerWithinMs = seconds(input.answerWithinSeconds, DEFAULT_INTAKE_LIMITS.answerWithinMs, 'Answer Within', 60);
	return {
		answerWithinMs,
		connectTimeoutMs: Math.min(answerWithinMs, seconds(input.connectTimeoutSeconds, DEFAULT_INTAKE_LIMITS.connectTimeoutMs, 'Connect Within', 60)),
		lockTimeoutMs: Math.min(answerWithinMs, seconds(input.lockTimeoutSeconds, DEFAULT_INTAKE_LIMITS.lockTimeoutMs, 'Lock Wait', 60)),
	};
}

/**
 * The server ends a statement before the call's deadline (statement_timeout = what is left
 * after connecting), so a call answered 503 normally stored nothing; only a server that stops
 * answering altogether leaves the client's deadline to act.
 */
export function intakeProfile(s: PgSettings, l: IntakeLimits): PoolProfile {
	const connectMs = Math.min(s.connectionTimeout * 1000, l.connectTimeoutMs);
	const statementMs = Math.max(500, l.answerWithinMs - connectMs);
	return {
		name: 'intake',
		max: INTAKE_POOL_SIZE,
		config: {
			connectionTimeoutMillis: connectMs,
			statement_timeout: statementMs,
			lock_timeout: Math.min(l.lockTimeoutMs, statementMs),
			idle_in_transaction_session_timeout: l.answerWithinMs,
			keepAlive: true,
		},
	};
}

export function getIntakeDb(s: PgSettings, l: IntakeLimits = DEFAULT_INTAKE_LIMITS): Db {
	const profile = intakeProfile(s, l);
	// Its connection errors name the timeout that applied ("no answer within 3 s").
	const connectSeconds = Math.max(1, Math.ceil(Number(profile.config.connectionTimeoutMillis) / 1000));
	return getDb({ ...s, connectionTimeout: connectSeconds }, profile);
}

export class IntakeDeadlineError extends Error {
	readonly code = 'GCB_DEADLINE';
	constructor(ms: number) {
		super(`the database did not answer within ${ms} ms`);
		this.name = 'IntakeDeadlineError';
	}
}

const discarded = new WeakSet<PoolClient>();

/** Takes a connection out of the pool for good and closes its socket at once (even when the peer is frozen). */
function discard(client: PoolClient, err: Error): void {
	if (discarded.has(client)) return;
	discarded.add(client);
	try {
		client.release(err);
	} catch {
		// released already
	}
	(client as unknown as { connection?: { stream?: { destroy?: () => void } } }).connection?.stream?.destroy?.();
}

/**
 * Runs fn on an intake connection within deadlineMs, or fails with IntakeDeadlineError. A
 * connection that failed in any way is closed, never handed to the next call (connections the
 * server closed while idle, as in a restart, leave the pool by themselves): so the first call
 * after the database comes back gets a new connection and is stored normally.
 */
export async function withIntakeClient<T>(db: Db, deadlineMs: number, fn: (c: PoolClient) => Promise<T>): Promise<T> {
	let current: PoolClient | undefined;
	let expired = false;
	const attempt = async (): Promise<T> => {
		const client = await connect(db);
		if (expired) {
			discard(client, new IntakeDeadlineError(deadlineMs));
			throw new IntakeDeadlineError(deadlineMs);
		}
		current = client;
		try {
			const out = await fn(client);
			current = undefined;
			if (!discarded.has(client)) client.release();
			return out;
		} catch (err) {
			current = undefined;
			discard(client, err as Error);
			throw err;
		}
	};
	const work = attempt();
	let timer: NodeJS.Timeout | undefined;
	const deadline = new Promise<never>((_, reject) => {
		timer = setTimeout(() => {
			expired = true;
			if (current) discard(current, new IntakeDeadlineError(deadlineMs));
			reject(new IntakeDeadlineError(deadlineMs));
		}, deadlineMs);
	});
	try {
		return await Promise.race([work, deadline]);
	} finally {
		clearTimeout(timer);
		work.catch(() => undefined);
		deadline.catch(() => undefined);
	}
}
