import { normaliseSettings } from '../../lib/config';
import { DEFAULT_INTAKE_LIMITS, IntakeDeadlineError, intakeLimits, intakeProfile } from '../../lib/db/intakeDb';
import { DbConnectionError } from '../../lib/db/pool';
import { SchemaOutdatedError } from '../../lib/db/schemaGate';
import { classifyTrouble } from '../../lib/store/intakeTrouble';
import { intakeLimitsProperty } from '../../nodes/shared/intakeLimits';

describe('intake limits', () => {
	it('the node parameters default to the library defaults', () => {
		const defaults = Object.fromEntries((intakeLimitsProperty.options as Array<{ name: string; default: number }>).map((o) => [o.name, o.default]));
		expect(intakeLimits(defaults)).toEqual(DEFAULT_INTAKE_LIMITS);
		expect(intakeLimits({})).toEqual(DEFAULT_INTAKE_LIMITS);
	});

	it('refuses nonsense and keeps the parts within the whole', () => {
		expect(() => intakeLimits({ answerWithinSeconds: 0 })).toThrow(/Answer Within must be a number of seconds above 0/);
		expect(() => intakeLimits({ lockTimeoutSeconds: 'soon' })).toThrow(/Lock Wait/);
		expect(intakeLimits({ answerWithinSeconds: 2, connectTimeoutSeconds: 5, lockTimeoutSeconds: 0.5 })).toEqual({ answerWithinMs: 2000, connectTimeoutMs: 2000, lockTimeoutMs: 500 });
	});

	it('the server ends a statement before the call gives up: statement_timeout is what is left after connecting', () => {
		const s = normaliseSettings({ hostExternal: 'db', connectionTimeout: 60 });
		expect(intakeProfile(s, DEFAULT_INTAKE_LIMITS).config).toMatchObject({ connectionTimeoutMillis: 3000, statement_timeout: 5000, lock_timeout: 2000 });
		// a credential with a shorter connection timeout wins
		expect(intakeProfile({ ...s, connectionTimeout: 1 }, DEFAULT_INTAKE_LIMITS).config).toMatchObject({ connectionTimeoutMillis: 1000, statement_timeout: 7000 });
	});
});

describe('why a call was not stored', () => {
	const cases: Array<[string, unknown, string, number]> = [
		['lock timeout', Object.assign(new Error('canceling statement due to lock timeout'), { code: '55P03' }), 'busy', 10],
		['statement timeout', Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' }), 'busy', 10],
		['deadline', new IntakeDeadlineError(8000), 'timeout', 30],
		['refused', new DbConnectionError('Cannot use PostgreSQL at db.internal:5432 (…), database "x", user "bot": connection refused', 'ECONNREFUSED'), 'unreachable', 30],
		['no answer', new DbConnectionError('Cannot use PostgreSQL at db.internal:5432: no answer within 3 s'), 'timeout', 30],
		['shutdown', Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }), 'unreachable', 30],
		['old schema', new SchemaOutdatedError('The database schema "s" is at version 1 …'), 'setup', 300],
		['missing column', Object.assign(new Error('column "event_kind" of relation "webhook_events" does not exist'), { code: '42703' }), 'setup', 300],
		['anything else', Object.assign(new Error('value too long for type character varying(50)'), { code: '22001' }), 'error', 60],
	];
	it.each(cases)('%s', (_label, err, kind, retryAfter) => {
		const t = classifyTrouble(err);
		expect(t).toMatchObject({ kind, retryAfter });
		expect(t.publicReason).not.toMatch(/db\.internal|5432|"bot"|event_kind|webhook_events|column|varying/);
		expect(t.detail).toContain((err as Error).message);
	});
});
