module.exports = {
  displayName: 'bridge',
  preset: '../../jest.preset.js',
  testEnvironment: 'node',
  transform: {
    '^.+\\.[tj]s$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }],
  },
  moduleFileExtensions: ['ts', 'js', 'html'],
  coverageDirectory: '../../coverage/libs/bridge',
  // The integration suites create a PostgreSQL database each; generous on a 2-core machine,
  // never a performance assertion.
  testTimeout: 30_000,
};
