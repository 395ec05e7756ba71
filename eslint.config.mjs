import { configWithoutCloudSupport } from '@n8n/node-cli/eslint';

// Not the n8n Cloud config: this self-hosted package needs runtime dependencies (pg, zod)
// and ships a command line, which Cloud-verified community nodes may not have.
export default [
	...configWithoutCloudSupport,
	{
		rules: {
			'@n8n/community-nodes/no-runtime-dependencies': 'off',
			// No node of this package is an AI tool: each one writes (claims events, stores or sends
			// messages, deletes logs, edits reference data), and an agent must not (issue 11).
			'@n8n/community-nodes/node-usable-as-tool': 'off',
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
	{ ignores: ['dist/**', 'test/**', 'bench/**', 'scripts/**', 'gulpfile.js', 'jest*.config.js', '.ci/**', '.data/**'] },
];
