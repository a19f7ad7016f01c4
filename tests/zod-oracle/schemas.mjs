// The original Next.js app's request schemas, verbatim in meaning: these are what
// progressd's C++ validator has to reproduce byte-for-byte (see README.md).
import { z } from 'zod';

export const ToolStatusInfo = z.object({
  status: z.enum(['pending', 'installing', 'success', 'error', 'skipped']),
  version: z.string().nullable().optional(),
  error: z.string().nullable().optional(),
});

export const ProgressError = z.object({
  tool: z.string(),
  error: z.string(),
  suggestedFix: z.string(),
});

export const ProgressData = z.object({
  sessionId: z.string(),
  currentStep: z.number(),
  completedSteps: z.array(z.number()),
  currentAction: z.string(),
  toolStatus: z.record(z.string(), ToolStatusInfo),
  errors: z.array(ProgressError),
  timestamp: z.string(),
  phase: z.enum(['phase1', 'phase2']),
  complete: z.boolean(),
});

export const ErrorLogEntry = z.object({
  tool: z.string(),
  error: z.string(),
  suggestedFix: z.string(),
  timestamp: z.string(),
  step: z.number(),
});

// Names used by cases.mjs and by the generated fixture file.
export const schemas = {
  progress: ProgressData,
  log_entry: ErrorLogEntry,
};
