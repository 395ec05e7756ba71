'use strict';
/**
 * The folder `npm start` lets n8n read files from (N8N_RESTRICT_FILE_ACCESS_TO; n8n 2.x reads
 * nothing outside it) and, in it, `reference/` with the sample reference tables the template
 * "Reference sync" reads: mentors.csv, students.csv, trainings.csv, lessons.csv, mapping.csv
 * (workflows/samples/). A sample is copied only when the file is missing, so the school's own
 * edits survive every restart. The samples match the `curl` lines npm start prints (student
 * 45678901 ivan@example.ru, training 889900, lesson 2223334), so a first answer finds its mentor.
 */
const fs = require('node:fs');
const path = require('node:path');

const TABLES = ['mentors', 'students', 'trainings', 'lessons', 'mapping'];
const SAMPLES_DIR = path.resolve(__dirname, '..', '..', 'workflows', 'samples');

/** Creates <dataDir>/n8n-files/reference with the samples; returns { filesDir, referenceDir, copied }. */
function prepareReferenceFiles(dataDir) {
	fs.mkdirSync(path.join(dataDir, 'n8n-files', 'reference'), { recursive: true });
	// n8n compares real paths (a file's realpath must lie under an allowed path)
	const filesDir = fs.realpathSync(path.join(dataDir, 'n8n-files'));
	const referenceDir = path.join(filesDir, 'reference');
	const copied = [];
	for (const table of TABLES) {
		const target = path.join(referenceDir, `${table}.csv`);
		if (fs.existsSync(target)) continue;
		fs.copyFileSync(path.join(SAMPLES_DIR, `${table}.csv`), target);
		copied.push(`${table}.csv`);
	}
	return { filesDir, referenceDir, copied };
}

/** n8n's N8N_RESTRICT_FILE_ACCESS_TO (paths separated by ";"): ours, after any the user set. */
function restrictFileAccessTo(filesDir, own = process.env.N8N_RESTRICT_FILE_ACCESS_TO) {
	const paths = (own || '').split(';').map((p) => p.trim()).filter(Boolean);
	if (!paths.includes(filesDir)) paths.push(filesDir);
	return paths.join(';');
}

module.exports = { prepareReferenceFiles, restrictFileAccessTo, TABLES, SAMPLES_DIR };
