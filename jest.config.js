// Unit tests (pure lib code) and integration tests (real PostgreSQL, loopback Bot API).
// End-to-end tests with real n8n have their own config: jest.e2e.config.js.
const common = {
	testEnvironment: 'node',
	transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
	// dist/ holds a copy of package.json (and the compiled code): not test sources.
	modulePathIgnorePatterns: ['<rootDir>/dist/', '<rootDir>/.data/'],
};

module.exports = {
	testTimeout: 60000,
	projects: [
		{ ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
		{ ...common, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.test.ts'] },
	],
};
