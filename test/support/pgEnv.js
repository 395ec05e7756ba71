// Where the tests' PostgreSQL is: TEST_PG_* (set by scripts/run-tests.js when it had to
// start an embedded server), else the project's machines' server on 127.0.0.1:5432.
'use strict';
module.exports = function testPgConfig() {
	return {
		host: process.env.TEST_PG_HOST || '127.0.0.1',
		port: Number(process.env.TEST_PG_PORT || 5432),
		user: process.env.TEST_PG_USER || 'postgres',
		password: process.env.TEST_PG_PASSWORD || '',
		database: process.env.TEST_PG_DATABASE || 'test',
	};
};
