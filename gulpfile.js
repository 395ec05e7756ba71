// Static files the TypeScript build does not emit (n8n-node build copies only *.png/*.svg):
// icons, SQL (schema.sql and migrations/, folders kept) beside the compiled lib/db, node codex
// files and icons beside the compiled nodes, and the workflow templates.
const { src, dest, parallel } = require('gulp');

const icons = () => src('icons/**/*.{png,svg}', { encoding: false }).pipe(dest('dist/icons'));
const sql = () => src('lib/db/**/*.sql', { base: 'lib/db' }).pipe(dest('dist/lib/db'));
const nodeFiles = () => src(['nodes/**/*.node.json', 'nodes/**/*.{png,svg}'], { base: 'nodes', encoding: false, allowEmpty: true }).pipe(dest('dist/nodes'));
const credentialIcons = () => src('credentials/**/*.{png,svg}', { base: 'credentials', encoding: false, allowEmpty: true }).pipe(dest('dist/credentials'));
const workflows = () => src('workflows/*.json').pipe(dest('dist/workflows'));

exports.build = parallel(icons, sql, nodeFiles, credentialIcons, workflows);
exports.default = exports.build;
