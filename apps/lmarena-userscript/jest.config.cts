module.exports = {
  displayName: 'lmarena-userscript',
  preset: '../../jest.preset.js',
  // Most specs are pure; the ones that need a DOM ask for jsdom in their docblock.
  testEnvironment: 'node',
  transform: {
    '^.+\\.[tj]s$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }],
  },
  moduleFileExtensions: ['ts', 'js', 'html'],
  coverageDirectory: '../../coverage/apps/lmarena-userscript',
};
