'use strict';
/** What n8n recorded of an execution's node runs (the tests and the latency bench read it). */
const path = require('node:path');
const { withPg } = require('./database');
const { n8nDir } = require('./install');

/**
 * The run data of one execution, `{ [node name]: [{ startTime, executionTime, … }] }`, or null when
 * n8n kept none (the workflow saves no successful runs, or it has not ended). n8n stores it in the
 * `flatted` form, read with n8n's own copy of that package.
 */
async function executionRunData(db, database, executionId) {
	const rows = await withPg(db, database, async (c) => (await c.query(`SELECT data FROM execution_data WHERE "executionId" = $1`, [executionId])).rows);
	if (!rows.length) return null;
	const flatted = require(path.join(n8nDir(), 'node_modules', 'flatted'));
	return flatted.parse(rows[0].data).resultData?.runData ?? null;
}

module.exports = { executionRunData };
