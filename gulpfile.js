// Static files the TypeScript build does not emit: icons beside the compiled nodes and
// credentials, the SQL migrations beside lib/db/migrate.js (and schema.sql made from them),
// and the workflow templates.
const { src, dest, parallel } = require('gulp');
const { writeSchemaSql } = require('./scripts/build-schema-sql');

const icons = () => src('icons/**/*.{png,svg}', { encoding: false }).pipe(dest('dist/icons'));
const migrations = () => src('lib/db/migrations/*.sql').pipe(dest('dist/lib/db/migrations'));
const schemaSql = async () => writeSchemaSql('dist/lib/db/schema.sql');
const workflows = () => src('workflows/*.json').pipe(dest('dist/workflows'));

exports.build = parallel(icons, migrations, schemaSql, workflows);
exports.default = exports.build;
