// Unit tests (pure lib code) and integration tests (real PostgreSQL, loopback Bot API).
// End-to-end tests with real n8n have their own config: jest.e2e.config.js.
const tsJest = { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] };

module.exports = {
	projects: [
		{ displayName: 'unit', testEnvironment: 'node', transform: tsJest, testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
		{
			displayName: 'integration',
			testEnvironment: 'node',
			transform: tsJest,
			testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
		},
	],
	testTimeout: 60000,
};
