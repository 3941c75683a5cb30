module.exports = {
  displayName: 'dashboard-api',
  preset: '../../jest.preset.js',
  testEnvironment: 'node',
  transform: {
    '^.+\\.[tj]s$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }],
  },
  moduleFileExtensions: ['ts', 'js', 'html'],
  coverageDirectory: '../../coverage/apps/dashboard-api',
  // The integration suites hash passwords with bcrypt (cost 12) and create a PostgreSQL
  // database each; generous on a 2-core machine, never a performance assertion.
  testTimeout: 30_000,
};
