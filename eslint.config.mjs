// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Folders that hold pure science code: no editor, no compute engine, no file system. */
const pureScience = ['src/trainer/science/**/*.ts'];

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', 'test-output/**', '.devcarry/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', { selector: 'ExportDefaultDeclaration', message: 'Use named exports.' }],
    },
  },
  {
    // Small rooms: a file over 350 lines holds more than one job.
    files: ['src/**/*.ts'],
    rules: { 'max-lines': ['error', { max: 350 }] },
  },
  {
    // The project's width. URLs and regular expressions may run longer: splitting them hides what they match.
    files: ['src/**/*.ts'],
    rules: { 'max-len': ['error', { code: 120, ignoreUrls: true, ignoreRegExpLiterals: true }] },
  },
  {
    files: pureScience,
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['vscode', 'onnxruntime-*', '@tensorflow/*', '@vladmandic/*', 'sharp', 'node:*', 'fs', 'path', '../io/*', '../../io/*', '../cli/*'],
            message: 'Science code is pure: no editor, no compute engine, no I/O.' },
        ],
      }],
    },
  },
  {
    files: ['src/trainer/**/*.ts'],
    ignores: pureScience,
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['vscode', '**/extension/*', '**/webview/*'], message: 'The trainer runs without VS Code.' }],
      }],
    },
  },
  {
    // Webview pages run in the browser: no editor API, no Node, and of the trainer only its pure science.
    files: ['src/webview/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['vscode', 'node:*', 'fs', 'path', '**/extension/*'], message: 'Webview code runs in the browser: only webview/ and trainer/science.' },
          { regex: '(^|/)trainer/(?!science/)', message: 'Of the trainer, webview code may import only its pure science.' },
        ],
      }],
    },
  },
  {
    files: ['**/*.mjs', 'bin/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', require: 'readonly', __dirname: 'readonly' } },
  },
  {
    // The published binary is plain CommonJS so it runs without a build step of its own.
    files: ['bin/*.js'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
