'use strict';
/**
 * End-to-end tests: real n8n 2.x (Node 24, installed into the cache by scripts/n8n/install.js)
 * with this package (dist/) loaded, the shipped workflow templates, PostgreSQL and a Telegram Bot
 * API peer on loopback. Build first: `npm run build && npm run test:e2e`.
 */
module.exports = {
	rootDir: __dirname,
	testMatch: ['<rootDir>/test/e2e/**/*.e2e.test.js'],
	testEnvironment: 'node',
	transform: {},
	testTimeout: 15 * 60 * 1000,
	maxWorkers: 1,
	modulePathIgnorePatterns: ['<rootDir>/dist/', '<rootDir>/.data/'],
	verbose: true,
};
