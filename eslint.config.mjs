import eslint from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'bench/results/**'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // A workspace is reached by its package name, never by a relative path into its files.
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^(\\.\\./)+(packages|services|scaffolding|tools/(qos|lab)|bench|test)/', message: 'import the workspace by its package name (@qoslab/…)' }] },
      ],
    },
  },
  { files: ['**/*.mjs', '**/*.cjs', 'tools/**/*.js'], languageOptions: { globals: globals.node } },
  { files: ['services/gateway/public/**/*.js'], languageOptions: { globals: globals.browser, sourceType: 'script' } },
  { files: ['services/console/public/**/*.js'], languageOptions: { globals: globals.browser, sourceType: 'module' } },
  { files: ['loadtest/**/*.js'], languageOptions: { globals: { __ENV: 'readonly', __VU: 'readonly', __ITER: 'readonly', open: 'readonly', console: 'readonly' } } },
);
