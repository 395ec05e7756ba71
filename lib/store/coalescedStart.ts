import { randomUUID } from 'node:crypto';
import { queryNamed } from '../db/prepared';
import type { Queryable } from '../db/types';

/** A start whose execution has not claimed after this long is taken for lost (it failed early). */
export const DEFAULT_START_TIMEOUT_SECONDS = 30;

/** What a coalesced start hands to its execution, for Resolve Mentor to release. */
export interface PipelineStart {
	startKey: string;
	startToken: string;
}

/**
 * What this process knows of the starts it began. In regular mode the execution a trigger
 * starts runs in the trigger's own process, so the trigger can tell without asking PostgreSQL
 * that its start still waits: it began it, and Resolve Mentor here has not released it. That
 * saves the second round trip of almost every call of a burst. Trusted only when the start
 * before it was released in this process too (so executions of this trigger run here: never
 * in queue mode, where workers release them) and for LOCAL_WINDOW_MS at most; otherwise the
 * database decides, as before.
 */
interface BegunHere {
	token: string;
	at: number;
	released: boolean;
	runsHere: boolean;
}
const begunHere = new Map<string, BegunHere>();
/** Well inside the database's timeout for a lost start. */
export const LOCAL_WINDOW_MS = 10_000;

/**
 * True when this process began the trigger's start, its execution runs here and has not yet
 * released it: a new event committed now is seen by that execution's claim (the release, in this
 * same process, comes after this check, and the claim after the release).
 */
export function startWaitingHere(startKey: string, now = Date.now()): boolean {
	const b = begunHere.get(startKey);
	return b !== undefined && b.runsHere && !b.released && now - b.at < LOCAL_WINDOW_MS;
}

/** For tests: forget what this process knows of its starts. */
export function forgetStartsHere(): void {
	begunHere.clear();
}

/**
 * Coalesced starts (SPEC §14): a burst of new answers shares executions. An execution is started
 * only when none that this trigger started is still waiting to claim; that one will pick up
 * everything stored meanwhile. Returns the start to hand to the new execution, or null when one
 * is already waiting. Concurrency: the ON CONFLICT update takes the row lock, so of two calls at
 * once exactly one gets the start.
 *
 * Most calls of a burst find a start waiting: they see it in a plain read and insert nothing, so
 * they take no row lock (ON CONFLICT locks the row even when its WHERE is false, and every call
 * of the burst would queue on that one row, each for its commit). Seeing it waiting is enough:
 * this call's event was committed before the read, the waiting execution releases its start
 * after the read, and claims after that, so its claim sees the event.
 */
export async function beginStart(q: Queryable, startKey: string, timeoutSeconds = DEFAULT_START_TIMEOUT_SECONDS): Promise<PipelineStart | null> {
	const token = randomUUID();
	const r = await queryNamed(
		q,
		'gcb_begin_start_1',
		`WITH waiting AS (
		   SELECT 1 FROM pipeline_starts
		    WHERE start_key = $1 AND pending_token IS NOT NULL
		      AND pending_since >= NOW() - make_interval(secs => $3::double precision)
		 )
		 INSERT INTO pipeline_starts (start_key, pending_token, pending_since, starts)
		 SELECT $1, $2::uuid, NOW(), 1 WHERE NOT EXISTS (SELECT 1 FROM waiting)
		 ON CONFLICT (start_key) DO UPDATE
		    SET pending_token = EXCLUDED.pending_token, pending_since = NOW(), starts = pipeline_starts.starts + 1, updated_at = NOW()
		  WHERE pipeline_starts.pending_token IS NULL
		     OR pipeline_starts.pending_since < NOW() - make_interval(secs => $3::double precision)
		 RETURNING start_key`,
		[startKey, token, timeoutSeconds],
	);
	if (!r.rowCount) return null;
	const before = begunHere.get(startKey);
	begunHere.set(startKey, { token, at: Date.now(), released: false, runsHere: before?.released === true });
	return { startKey, startToken: token };
}

/**
 * Called by the started execution just before it claims (its own statement, committed at once):
 * from now on a new answer starts a new execution, and everything stored before is visible to
 * the claim that follows. A token that was already replaced (taken for lost) changes nothing.
 */
export async function releaseStart(q: Queryable, start: PipelineStart): Promise<void> {
	// first here (synchronously), then in the database: a call that found it waiting here did so before
	const here = begunHere.get(start.startKey);
	if (here?.token === start.startToken) here.released = true;
	await q.query(
		`UPDATE pipeline_starts SET pending_token = NULL, pending_since = NULL, updated_at = NOW()
		  WHERE start_key = $1 AND pending_token = $2::uuid`,
		[start.startKey, start.startToken],
	);
}

/** The coalesced starts among a node's input items (a trigger's item carries one). */
export function startsIn(items: Array<{ json: Record<string, unknown> }>): PipelineStart[] {
	const out: PipelineStart[] = [];
	for (const { json } of items) {
		if (typeof json.startKey === 'string' && typeof json.startToken === 'string' && /^[0-9a-f-]{36}$/.test(json.startToken)) {
			out.push({ startKey: json.startKey, startToken: json.startToken });
		}
	}
	return out;
}
