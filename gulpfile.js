// Static files the TypeScript build does not emit (n8n-node build copies only *.png/*.svg):
// icons; the SQL under lib/db (migrations/, folders kept) beside the compiled lib/db, and
// schema.sql made from the migrations; node codex files and icons beside the compiled nodes;
// the workflow templates and their sample reference files (workflows/samples).
const { src, dest, parallel } = require('gulp');
const { writeSchemaSql } = require('./scripts/build-schema-sql');

const icons = () => src('icons/**/*.{png,svg}', { encoding: false }).pipe(dest('dist/icons'));
const sql = () => src('lib/db/**/*.sql', { base: 'lib/db', allowEmpty: true }).pipe(dest('dist/lib/db'));
const schemaSql = async () => writeSchemaSql('dist/lib/db/schema.sql');
const nodeFiles = () => src(['nodes/**/*.node.json', 'nodes/**/*.{png,svg}'], { base: 'nodes', encoding: false, allowEmpty: true }).pipe(dest('dist/nodes'));
const credentialIcons = () => src('credentials/**/*.{png,svg}', { base: 'credentials', encoding: false, allowEmpty: true }).pipe(dest('dist/credentials'));
const workflows = () => src('workflows/**/*.{json,csv}', { base: 'workflows' }).pipe(dest('dist/workflows'));

exports.build = parallel(icons, sql, schemaSql, nodeFiles, credentialIcons, workflows);
exports.default = exports.build;
