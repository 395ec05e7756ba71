import { IntakeDeadlineError } from '../db/intakeDb';
import { DbConnectionError } from '../db/pool';
import { isOutdatedSchemaError, SchemaOutdatedError, SETUP_HINT } from '../db/schemaGate';

/**
 * Why a call was not stored, in two forms: a short public reason for the 503 body (GetCourse,
 * or anybody holding the secret, sees it: no host, port, user, table or driver text), and the
 * detail for error_logs and n8n's log (the password is never in it: connection errors come
 * through describeConnectionError, which removes it).
 */
export type TroubleKind = 'unreachable' | 'timeout' | 'busy' | 'setup' | 'error';

export interface IntakeTrouble {
	kind: TroubleKind;
	/** Seconds GetCourse is asked to wait before calling again. */
	retryAfter: number;
	publicReason: string;
	detail: string;
}

const PUBLIC: Record<TroubleKind, string> = {
	unreachable: 'the database cannot be reached; call again later',
	timeout: 'the database did not answer in time; call again later',
	busy: 'the database is busy; call again later',
	setup: 'the database is not set up for this version of the bot; call again later',
	error: 'the event could not be stored; call again later',
};

const RETRY_AFTER: Record<TroubleKind, number> = { unreachable: 30, timeout: 30, busy: 10, setup: 300, error: 60 };

/** lock_not_available, query_canceled (statement_timeout), deadlock, serialization, too many connections, out of resources. */
const BUSY = /^(55P03|57014|40P01|40001|53\w{3})$/;
/** admin/crash shutdown, cannot connect now, connection exceptions. */
const AWAY = /^(57P0[1-3]|08\w{3})$/;

export function classifyTrouble(err: unknown): IntakeTrouble {
	const code = String((err as { code?: unknown })?.code ?? '');
	const message = String((err as Error)?.message ?? err).replace(/\s*\n\s*/g, ' ');
	const make = (kind: TroubleKind, detail = message): IntakeTrouble => ({ kind, retryAfter: RETRY_AFTER[kind], publicReason: PUBLIC[kind], detail });
	if (err instanceof SchemaOutdatedError) return make('setup');
	if (isOutdatedSchemaError(err)) return make('setup', `the database schema does not match this package (${message}): ${SETUP_HINT}`);
	if (err instanceof IntakeDeadlineError) return make('timeout');
	if (err instanceof DbConnectionError) return make(/timeout|no answer within/i.test(message) ? 'timeout' : 'unreachable');
	if (BUSY.test(code)) return make('busy', code === '55P03' ? `a lock held by another session: ${message}` : message);
	if (AWAY.test(code) || /Connection terminated|ECONNRESET|EPIPE|ECONNREFUSED|not queryable/i.test(message)) return make('unreachable');
	return make('error');
}
