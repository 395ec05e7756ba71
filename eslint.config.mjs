import { configWithoutCloudSupport } from '@n8n/node-cli/eslint';

// Not n8n's Cloud config (`config`) but `configWithoutCloudSupport`, with "strict": false in
// package.json: n8n Cloud runs only verified community nodes without runtime dependencies, and
// this package needs `pg` (its own connection pool, claims with FOR UPDATE SKIP LOCKED, advisory
// locks; n8n offers nodes no database connection) and `zod`, ships a command line (`bin`) and is
// meant for self-hosted n8n, where the Community Nodes installer brings its dependencies.
// `usableAsTool` is declared in every non-trigger node (nodes/shared/agentTool.ts), not turned off.
export default [
	...configWithoutCloudSupport,
	{
		rules: {
			'@n8n/community-nodes/no-runtime-dependencies': 'off',
			// Database credentials are not APIs (n8n's own is named "postgres").
			'n8n-nodes-base/node-class-description-credentials-name-unsuffixed': 'off',
		},
	},
	{
		// The webhook secret is what GetCourse must send us, not an API we call: no "API" suffix.
		files: ['credentials/GetCourseBotWebhookSecret.credentials.ts'],
		rules: {
			'n8n-nodes-base/cred-class-name-unsuffixed': 'off',
			'n8n-nodes-base/cred-class-field-name-unsuffixed': 'off',
			'n8n-nodes-base/cred-class-field-display-name-missing-api': 'off',
		},
	},
	{
		// GetCourse has no API to register a webhook: the school admin types the URL into a process
		// "Вызвать URL" or the Tech API subscription, as with n8n's own Webhook node.
		files: ['nodes/GetCourseTrigger/GetCourseTrigger.node.ts'],
		rules: { '@n8n/community-nodes/webhook-lifecycle-complete': 'off' },
	},
	{
		// lib/ is shared with the command line and knows nothing of n8n: its errors are
		// turned into NodeOperationErrors by the nodes.
		files: ['lib/**/*.ts'],
		rules: { '@n8n/community-nodes/require-node-api-error': 'off' },
	},
	{ files: ['lib/cli/**/*.ts'], rules: { 'no-console': 'off' } },
	{
		// `getcourse-bot backup` / `restore` run PostgreSQL's own pg_dump and pg_restore (execFile, no
		// shell, fixed arguments). Command line only: no node imports lib/backup (test/unit/packageMeta.test.ts).
		files: ['lib/backup/**/*.ts'],
		rules: { '@n8n/community-nodes/no-dangerous-functions': 'off' },
	},
	{ ignores: ['dist/**', 'test/**', 'bench/**', 'scripts/**', 'gulpfile.js', 'jest*.config.js', '.ci/**', '.data/**'] },
];
