import { withIntakeClient } from '../db/intakeDb';
import { writeLogs, type LogEntry } from '../db/logs';
import type { Db } from '../db/pool';

/**
 * What intake writes to error_logs about calls it did not store, without a database write per
 * call (SPEC §12): a flood of wrong-secret calls, or GetCourse calling again and again while the
 * database is away, must not compete with real work for connections. Calls are counted in
 * memory per database, kind and source, and each count becomes one error_logs line per minute:
 * written at the end of the minute (a timer that does not keep the process alive), at the next
 * call after it, or when the process is told to stop (SIGTERM/SIGINT, as n8n is stopped; n8n
 * gives a webhook node no shutdown hook). A line that cannot be written (the database is still
 * away) is kept and tried again with the next flush; only a hard kill loses the last minute.
 */
export const WINDOW_MS = 60_000;
/** A flush never holds anything up for longer than this. */
const FLUSH_WITHIN_MS = 2000;

export interface TalliedCall {
	/** refused: 401/413 (counted, source = tech_api | process); failed: answered 503 (source = why). */
	kind: 'refused' | 'failed';
	/** unauthorized, too_large, unavailable. */
	status: string;
	source: string;
	/** The one-line reason (for failed calls: the detailed cause, fine for the staff's log). */
	reason: string;
	size?: number;
}

interface Window {
	db: Db;
	logSource: string;
	call: Omit<TalliedCall, 'reason' | 'size'>;
	firstAt: number;
	lastAt: number;
	count: number;
	reasons: Map<string, number>;
	maxSize: number;
}

const windows = new Map<string, Window>();
let timer: NodeJS.Timeout | null = null;
let hooked = false;
/** After a failed write (the database is away), the next try waits a minute too. */
let quietUntil = 0;

/** Counts a call; true when it opened a window (the first of its kind this minute: worth one line in n8n's log). */
export function tally(db: Db, logSource: string, call: TalliedCall, now = Date.now()): boolean {
	void flushDue(now);
	const key = [db.key ?? db.settings.schema, db.settings.schema, logSource, call.kind, call.status, call.source].join('\u0000');
	let w = windows.get(key);
	const opened = !w;
	if (!w) {
		w = { db, logSource, call: { kind: call.kind, status: call.status, source: call.source }, firstAt: now, lastAt: now, count: 0, reasons: new Map(), maxSize: 0 };
		windows.set(key, w);
	}
	w.count++;
	w.lastAt = Math.max(w.lastAt, now);
	w.reasons.set(call.reason, (w.reasons.get(call.reason) ?? 0) + 1);
	w.maxSize = Math.max(w.maxSize, call.size ?? 0);
	schedule();
	hookShutdown();
	return opened;
}

function entryOf(w: Window): LogEntry {
	const reasons = [...w.reasons.entries()].sort((a, b) => b[1] - a[1]);
	const listed = reasons.slice(0, 5).map(([r, n]) => (reasons.length > 1 ? `${r} (${n})` : r));
	const seconds = Math.max(1, Math.round((w.lastAt - w.firstAt) / 1000));
	const what =
		w.call.kind === 'refused'
			? `${w.count} GetCourse call(s) refused (${w.call.status}, from ${w.call.source}) within ${seconds} s`
			: `${w.count} GetCourse call(s) answered 503 (${w.call.source}) within ${seconds} s`;
	return {
		table: 'error_logs',
		level: w.call.kind === 'refused' ? 'warning' : 'error',
		source: w.logSource,
		message: `${what}: ${listed.join('; ')}`.slice(0, 2000),
		context: {
			status: w.call.status,
			source: w.call.source,
			count: w.count,
			reasons: Object.fromEntries(reasons.slice(0, 20)),
			first_at: new Date(w.firstAt).toISOString(),
			last_at: new Date(w.lastAt).toISOString(),
			...(w.maxSize ? { size: w.maxSize } : {}),
		},
	};
}

/** Writes the windows that are a minute old (all of them with all = true); never throws. */
export async function flushIntakeLog({ now = Date.now(), all = false }: { now?: number; all?: boolean } = {}): Promise<void> {
	if (!all && now < quietUntil) return;
	const due = [...windows.entries()].filter(([, w]) => all || now - w.firstAt >= WINDOW_MS);
	if (!due.length) return;
	for (const [key] of due) windows.delete(key);
	const byDb = new Map<Db, Window[]>();
	for (const [, w] of due) byDb.set(w.db, [...(byDb.get(w.db) ?? []), w]);
	await Promise.all(
		[...byDb.entries()].map(async ([db, ws]) => {
			try {
				await withIntakeClient(db, FLUSH_WITHIN_MS, (c) => writeLogs(c, ws.map(entryOf)));
			} catch {
				// Kept for the next flush, merged with what came meanwhile.
				for (const w of ws) restore(w);
				quietUntil = now + WINDOW_MS;
			}
		}),
	);
	schedule();
}

const flushDue = (now: number) => flushIntakeLog({ now });

function restore(w: Window): void {
	const key = [w.db.key ?? w.db.settings.schema, w.db.settings.schema, w.logSource, w.call.kind, w.call.status, w.call.source].join('\u0000');
	const later = windows.get(key);
	if (!later) return void windows.set(key, w);
	later.count += w.count;
	later.firstAt = Math.min(later.firstAt, w.firstAt);
	later.lastAt = Math.max(later.lastAt, w.lastAt);
	later.maxSize = Math.max(later.maxSize, w.maxSize);
	for (const [r, n] of w.reasons) later.reasons.set(r, (later.reasons.get(r) ?? 0) + n);
}

function schedule(): void {
	if (timer || !windows.size) return;
	const first = Math.max(Math.min(...[...windows.values()].map((w) => w.firstAt)) + WINDOW_MS, quietUntil);
	timer = setTimeout(
		() => {
			timer = null;
			void flushIntakeLog();
		},
		Math.max(1000, first - Date.now()),
	);
	timer.unref();
}

/**
 * Flush on SIGTERM/SIGINT while n8n shuts down. The listener only flushes; when it was the
 * only listener (a plain script), the signal is raised again afterwards so the process still
 * ends as it would have.
 */
function hookShutdown(): void {
	if (hooked) return;
	hooked = true;
	for (const signal of ['SIGTERM', 'SIGINT'] as const) {
		const onSignal = () => {
			const alone = process.listenerCount(signal) === 0;
			void flushIntakeLog({ all: true }).finally(() => {
				if (alone) process.kill(process.pid, signal);
			});
		};
		process.once(signal, onSignal);
	}
}

/** Calls counted and not written yet (tests, and a last look before shutdown). */
export function pendingIntakeLog(): Array<{ kind: string; status: string; source: string; count: number }> {
	return [...windows.values()].map((w) => ({ ...w.call, count: w.count }));
}
