/** Every table the migrations create (tests that list or count a schema's tables use this). */
export const TABLES = [
	'application_logs',
	'chat_pace',
	'error_logs',
	'lessons',
	'mapping',
	'mentors',
	'notifications',
	'pipeline_starts',
	'reviews',
	'schema_migrations',
	'send_pace',
	'students',
	'trainings',
	'webhook_events',
];
