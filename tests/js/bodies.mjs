// Request bodies the JS tests send, shaped as a setup script sends them.

// A ProgressData body for `sessionId`, with `overrides` replacing top-level fields.
export function progressData(sessionId, overrides = {}) {
  return {
    sessionId,
    currentStep: 2,
    completedSteps: [1],
    currentAction: 'Installing Git',
    toolStatus: {
      git: { status: 'installing', version: null },
      node: { status: 'success', version: '20.1.0' },
    },
    errors: [],
    timestamp: '2026-11-26T12:00:00.000Z',
    phase: 'phase1',
    complete: false,
    ...overrides,
  };
}
