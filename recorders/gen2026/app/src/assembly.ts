import { assemble } from "@mit-sdg/sync-engine/assembly";
import { composition as access } from "./compositions/access.ts";
import { composition as notes } from "./compositions/notes.ts";
import { applicationConceptSet } from "./concepts.ts";

export function assembleJotter() {
  return assemble({
    conceptSet: applicationConceptSet,
    composition: { Access: access, Notes: notes },
    rawFaultReporter: ({ error }) => console.error(error),
  });
}
