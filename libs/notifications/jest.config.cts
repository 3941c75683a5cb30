module.exports = {
  displayName: 'notifications',
  preset: '../../jest.preset.js',
  testEnvironment: 'node',
  transform: {
    '^.+\\.[tj]s$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }],
  },
  moduleFileExtensions: ['ts', 'js', 'html'],
  coverageDirectory: '../../coverage/libs/notifications',
  // The integration suites use real Redis and PostgreSQL; generous on a 2-core machine,
  // never a performance assertion.
  testTimeout: 30_000,
};
