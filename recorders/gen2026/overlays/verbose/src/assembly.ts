import { appendFileSync } from "node:fs";
import { assemble, FileLogSink, Logging, type OperationalEvent } from "@mit-sdg/sync-engine/assembly";
import { composition as access } from "./compositions/access.ts";
import { composition as notes } from "./compositions/notes.ts";
import { applicationConceptSet } from "./concepts.ts";

/** Recording overlay: the two switches for seeing more, plus a journal and observer events. */
export function observe(event: OperationalEvent): void {
  if (process.env.OBSERVER_FILE) appendFileSync(process.env.OBSERVER_FILE, `${JSON.stringify(event)}\n`);
}

export function assembleJotter() {
  return assemble({
    conceptSet: applicationConceptSet,
    composition: { Access: access, Notes: notes },
    rawFaultReporter: ({ error }) => console.error(error),
    logging: Logging.VERBOSE,
    ...(process.env.JOURNAL_FILE ? { logSink: new FileLogSink(process.env.JOURNAL_FILE) } : {}),
    observers: [observe],
  });
}
