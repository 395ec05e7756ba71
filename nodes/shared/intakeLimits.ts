import type { INodeProperties } from 'n8n-workflow';

/** GetCourse Trigger and Store Event: how long storing may take before the call is answered 503 (defaults: DEFAULT_INTAKE_LIMITS). */
export const intakeLimitsProperty: INodeProperties = {
	displayName: 'Database Limits',
	name: 'databaseLimits',
	type: 'collection',
	placeholder: 'Add Limit',
	default: {},
	description: 'When the database is slow, away or locked, the call is answered 503 with Retry-After within these limits, and GetCourse calls again',
	options: [
		{
			displayName: 'Answer Within (Seconds)',
			name: 'answerWithinSeconds',
			type: 'number',
			default: 8,
			typeOptions: { minValue: 1, maxValue: 60, numberPrecision: 1 },
			description: 'The whole call: connecting, storing, waiting. Keep it below 10 s so GetCourse hears back in time.',
		},
		{
			displayName: 'Connect Within (Seconds)',
			name: 'connectTimeoutSeconds',
			type: 'number',
			default: 3,
			typeOptions: { minValue: 1, maxValue: 60, numberPrecision: 1 },
			description: "Opening a connection, or waiting for a free one (never longer than the credential's Connection Timeout)",
		},
		{
			displayName: 'Lock Wait (Seconds)',
			name: 'lockTimeoutSeconds',
			type: 'number',
			default: 2,
			typeOptions: { minValue: 0.1, maxValue: 60, numberPrecision: 1 },
			description: 'Waiting for a lock held by other work (a migration, a long transaction)',
		},
	],
};
